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
            ("cgroup", .object([("v1", .bool(true)), ("v2", .bool(true)), ("systemd", .bool(false)),
                                ("systemdUser", .bool(false)), ("rdma", .bool(true))])),
            ("seccomp", .object([
                ("enabled", .bool(true)),
                ("actions", strings(Array(Seccomp.actions))),
                ("operators", strings(Array(Seccomp.operators))),
                ("archs", strings(["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
                                   "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
                                   "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
                                   "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_RISCV64"])),
                ("knownFlags", strings(Array(Seccomp.flagNames))),
                ("supportedFlags", strings(["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                            "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])),
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
