// `features` (runtime-spec features.md): what this build of hako supports,
// so that engines can ask instead of guessing from a version string.

public enum Features {
    public static func json(version: String) -> JSON {
        let strings = { (list: [String]) in JSON.array(list.sorted().map { .string($0) }) }
        let mountOptions = Array(MountOptions.flagTable.keys) + Array(MountOptions.propagation.keys)
            + Array(MountOptions.recursiveTable.keys) + ["idmap", "ridmap", "tmpcopyup"]
        let linux: [(String, JSON)] = [
            ("namespaces", strings(NamespaceType.allCases.map(\.rawValue))),
            ("capabilities", .array(CapabilitySet.names.map { .string($0) })),
            // What the code drives, whatever this host mounts.
            ("cgroup", .object([("v1", .bool(true)), ("v2", .bool(true)), ("systemd", .bool(true)),
                                ("systemdUser", .bool(false)), ("rdma", .bool(true))])),
            ("seccomp", .object([
                ("enabled", .bool(true)),
                ("actions", strings(Array(Seccomp.actions.keys))),
                ("operators", strings(Array(Seccomp.operators.keys))),
                ("archs", strings(Array(Seccomp.architectureNames.keys))),
                ("knownFlags", strings(Array(Seccomp.flags.keys))),
                ("supportedFlags", strings(Array(Seccomp.flags.keys))),
            ])),
            // features.md: what the implementation supports, not whether this
            // host has the module loaded (SecurityLabels applies both).
            ("apparmor", .object([("enabled", .bool(true))])),
            ("selinux", .object([("enabled", .bool(true))])),
            ("intelRdt", .object([("enabled", .bool(false))])),
            ("mountExtensions", .object([("idmap", .object([("enabled", .bool(true))]))])),
        ]
        return .object([
            ("ociVersionMin", .string("1.0.0")),
            ("ociVersionMax", .string(ContainerState.ociVersion)),
            ("hooks", .array(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"].map { .string($0) })),
            ("mountOptions", strings(mountOptions)),
            ("linux", .object(linux)),
            ("annotations", .object([
                ("io.github.hako.version", .string(version)),
                ("io.github.seccomp.libseccomp.version", .string(SeccompCompiler.version)),
            ])),
        ])
    }
}
