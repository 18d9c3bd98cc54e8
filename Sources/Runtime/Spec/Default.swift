// The config.json `hako spec` writes: runc's default, so that bundles made
// for one runtime work with the other.

extension Spec {
    public static func defaultConfig(rootless: Bool, uid: UInt32 = 0, gid: UInt32 = 0) -> JSON {
        func strings(_ a: [String]) -> JSON { .array(a.map { .string($0) }) }
        func mount(_ dest: String, _ type: String, _ source: String, _ options: [String]) -> JSON {
            var m: [(String, JSON)] = [("destination", .string(dest)), ("type", .string(type)), ("source", .string(source))]
            if !options.isEmpty { m.append(("options", strings(options))) }
            return .object(m)
        }
        let caps = strings(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
        var namespaces = ["pid", "network", "ipc", "uts", "mount"]
        var devpts = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]
        var sys = mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"])
        if rootless {
            // An unprivileged user cannot mount a fresh sysfs or own gid 5.
            namespaces = ["pid", "ipc", "uts", "mount", "user"]
            devpts.removeAll { $0 == "gid=5" }
            sys = mount("/sys", "none", "/sys", ["rbind", "nosuid", "noexec", "nodev", "ro"])
        }
        var linux: [(String, JSON)] = []
        if rootless {
            linux.append(("uidMappings", .array([.object([("containerID", .int(0)), ("hostID", .int(uid)), ("size", .int(1))])])))
            linux.append(("gidMappings", .array([.object([("containerID", .int(0)), ("hostID", .int(gid)), ("size", .int(1))])])))
        } else {
            let denyAll = JSON.object([("allow", .bool(false)), ("access", .string("rwm"))])
            linux.append(("resources", .object([("devices", .array([denyAll]))])))
        }
        linux += [
            ("namespaces", .array(namespaces.map { .object([("type", .string($0))]) })),
            ("maskedPaths", strings(["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                                     "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"])),
            ("readonlyPaths", strings(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])),
        ]
        var mounts = [
            mount("/proc", "proc", "proc", []),
            mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            mount("/dev/pts", "devpts", "devpts", devpts),
            mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
            sys,
        ]
        if !rootless { mounts.append(mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"])) }
        return .object([
            ("ociVersion", .string(ContainerState.ociVersion)),
            ("process", .object([
                ("terminal", .bool(true)),
                ("user", .object([("uid", .int(0)), ("gid", .int(0))])),
                ("args", strings(["sh"])),
                ("env", strings(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"])),
                ("cwd", .string("/")),
                ("capabilities", .object([("bounding", caps), ("effective", caps), ("permitted", caps), ("ambient", caps)])),
                ("rlimits", .array([.object([("type", .string("RLIMIT_NOFILE")), ("hard", .int(1024)), ("soft", .int(1024))])])),
                ("noNewPrivileges", .bool(true)),
            ])),
            ("root", .object([("path", .string("rootfs")), ("readonly", .bool(true))])),
            ("hostname", .string("hako")),
            ("mounts", .array(mounts)),
            ("linux", .object(linux)),
        ])
    }
}
