// An init that joins another container's pid namespace (a pod sharing one
// process namespace) is born in two stages (issue 36).
//
// Whatever a process in a pid namespace holds, that namespace's processes
// can reach through /proc/PID/root, /proc/PID/cwd and /proc/PID/fd (or
// pidfd_getfd): non-dumpability stops only those without CAP_SYS_PTRACE in
// its user namespace, and a container without a user namespace given
// SYS_PTRACE has it in the host's. An init cloned straight into the joined
// pid namespace stands there with the host's root and cwd until pivot_root,
// and a racer in the other container that opens /proc/PID/root of each new
// pid gets the host's filesystem.
//
// So the first stage, cloned in hako's own pid namespace where the pod
// cannot see it, does all that needs the host: the new namespaces, the
// mounts, devices, createContainer hooks, pivot_root, the terminal. Then it
// closes every descriptor of the host's it does not pass on, and only then
// joins the pid namespace for its children (setns(CLONE_NEWPID) moves only
// those) and clones the real init with CLONE_PARENT, so that hako is its
// parent and waits for it. The first stage tells hako the init's pid and
// exits. runc's nsexec and crun clone straight into the namespace.
//
// Nor may the init stand in the pod holding more than it will exec with: a
// pod holding CAP_SYS_PTRACE can trace it and run its own code with hako's
// capabilities (the capability window, Tests/security/README.md). So the
// first stage also mounts the pod's procfs, from outside the pod (procfs's
// pidns option), masks and binds read-only through it, and becomes the
// process's user; the init only takes its session and terminal, waits for
// `start` and execs. A kernel whose procfs lacks pidns (6.1) shows a procfs
// the pid namespace of whoever mounts it: there the second stage still
// mounts /proc and becomes the user itself, and the window stays open.
//
// A new user namespace with a joined pid namespace is refused
// (validatePodNamespaces): its first stage would have no rights to join a
// pid namespace the host's user namespace owns, and born in one stage its
// init stood in the pod with the host's root. A joined user namespace is born in one stage
// too (CloneInside's helper joins the pid namespace for it): its first stage
// could join a pid namespace that user namespace owns, but the second could
// not mount procfs after pivot_root, since the kernel lets a user namespace
// mount one only where a fully visible procfs is already mounted
// (mount_too_revealing; tried: fsmount fails with EPERM).
import CNamespaces
import Glibc

extension ContainerInit {
    /// Whether an init for `linux` is born in two stages.
    static func bornInTwoStages(_ linux: Linux?) -> Bool {
        linux?.namespace(.pid)?.path != nil && linux?.namespace(.user) == nil
    }

    /// The joined pid namespace, when this is the first of two stages.
    var podPidNamespace: Int32? {
        guard ContainerInit.bornInTwoStages(linux) else { return nil }
        return joins.first { $0.0 == .pid }?.1
    }

    /// The second stage mounts procfs after every other mount: one beneath
    /// a procfs that the config lists after it would be hidden by it.
    /// What a joined pid namespace cannot come with: the pod's processes
    /// would reach the host through the init (the cold attack of
    /// 2026-12-07; runc 1.1.5 and crun 1.8.1 take both and escape).
    /// - No mount namespace: the container is only chrooted in the host's
    ///   mount namespace, and from the pod's own, /proc/PID/root/.. climbs
    ///   past that root to the host's /, for as long as the container lives.
    /// - A new user namespace: its init is born in one stage (above), in
    ///   the pid namespace with the host's root until pivot_root, open to a
    ///   pod holding CAP_SYS_PTRACE, whose ptrace check it passes in the
    ///   host's user namespace (the init's memory belongs to that one).
    ///   A pod's containers join the pod's user namespace instead.
    static func validatePodNamespaces(_ linux: Linux?) throws {
        guard let linux, let k = linux.namespaces.firstIndex(where: { $0.type == .pid && $0.path != nil }) else { return }
        if linux.namespace(.mount) == nil {
            throw SpecError("linux.namespaces[\(k)].path", "a joined pid namespace needs a mount namespace of the container's own: without one the container is only chrooted, and the other processes of that pid namespace reach the host's root through /proc/PID/root/..")
        }
        if let user = linux.namespace(.user), user.path == nil {
            throw SpecError("linux.namespaces[\(k)].path", "a new user namespace cannot join a pid namespace: until its pivot_root the init would stand there with the host's root, open to that pid namespace's CAP_SYS_PTRACE; join the pid namespace's own user namespace (as a pod's containers do), or make no user namespace")
        }
    }

    static func validatePodMounts(_ spec: Spec) throws {
        guard bornInTwoStages(spec.linux) else { return }
        var procs: [String] = []
        for m in spec.mounts {
            let dest = cleanPath("/" + m.destination)
            if m.type == "proc" {
                procs.append(dest)
            } else if procs.contains(where: { $0 != "/" && dest.hasBytePrefix($0 + "/") }) {
                throw SpecError(m.path + ".destination", "a mount beneath a procfs is not supported with a joined pid namespace (linux.namespaces)")
            }
        }
    }

    /// Whether this kernel's procfs takes "pidns", so that the first stage
    /// can mount the joined pid namespace's procfs from outside it (the
    /// host here, 6.18, does; the v2 guest's 6.1 does not).
    static func procfsTakesPidns(_ pidNamespace: Int32) -> Bool {
        let ctx = hk_fsopen("proc")
        guard ctx >= 0 else { return false }
        defer { close(ctx) }
        return hk_fsconfig_fd(ctx, "pidns", pidNamespace) == 0
    }

    /// The first stage's end, once the root is the container's: closes
    /// every descriptor of the host's it does not pass on (the --log file
    /// too) and joins the pid namespace for the clone.
    func joinPodPidNamespace(_ pidNamespace: Int32, keeping fifos: InitFifos, agent: Int32, terminal: Terminal?) throws {
        var own = [sync.fd, pidNamespace, agent, fifos.hooksReport]
        if let e = fifos.exec { own += [e.reader, e.writer] }
        if let terminal { own.append(terminal.slave) }
        closeDescriptors(from: 3 + Int32(options.preserveFds + options.listenFds), except: own.filter { $0 >= 0 })
        try sys(hk_setns(pidNamespace, NamespaceType.pid.cloneFlag), "join pid namespace \(linux?.namespace(.pid)?.path ?? "")")
        close(pidNamespace)
    }

    /// Clones the init into the joined pid namespace; returns only there,
    /// with the init's pid as hako sees it. The first stage reports it and exits.
    func cloneSecondStage() throws -> Int32 {
        var ends: [Int32] = [-1, -1]
        try sys(hk_pipe2(&ends, O_CLOEXEC), "pipe")
        let pid = hk_clone(UInt(UInt32(bitPattern: HK_CLONE_PARENT)))
        if pid == 0 {
            close(ends[1])
            return try ContainerInit.receivePid(ends[0])
        }
        if pid < 0 { throw SystemError("clone the init into the joined pid namespace") }
        // hako learns the pid before the init can say anything else.
        try sync.send(.pid(pid))
        var p = pid
        _ = write(ends[1], &p, MemoryLayout<Int32>.size)
        _exit(0)
    }

    /// The second stage's pid, from the first; it is gone if it failed.
    static func receivePid(_ fd: Int32) throws -> Int32 {
        var pid: Int32 = 0
        let n = retryEINTR { Int32(read(fd, &pid, MemoryLayout<Int32>.size)) }
        close(fd)
        if n != Int32(MemoryLayout<Int32>.size) { _exit(1) }
        return pid
    }

    /// The config's procfs mounts, made by the second stage in the root it
    /// stands in; returns the handle on /proc's. There is no procfs yet to
    /// name the mount point by (/proc/self/fd/N), so procfs is made with
    /// the new mount API and moved onto the mount point's descriptor.
    /// `pidNamespace`: made by the first stage, from outside that namespace
    /// (procfs's pidns option).
    func mountProcfs(label: String?, pidNamespace: Int32? = nil) throws -> ProcfsHandle? {
        let root = try Rootfs(path: "/", bundle: bundle)
        defer { close(root.rootFD) }
        var proc: ProcfsHandle? = nil
        for m in spec.mounts where m.type == "proc" {
            do {
                try mountProcfs(m, in: root, label: label, pidNamespace: pidNamespace)
                if cleanPath("/" + m.destination) == "/proc" {
                    if let old = proc { close(old.fd) }
                    proc = try ProcfsHandle.open("proc", in: root.rootFD, destination: m.destination)
                }
            } catch let e as SystemError {
                if let proc { close(proc.fd) }
                throw SpecError(m.path, e.description)
            }
        }
        return proc
    }

    func mountProcfs(_ m: Mount, in root: Rootfs, label: String?, pidNamespace: Int32?) throws {
        var opts = try MountOptions(m.options, path: m.path + ".options")
        // fsconfig takes the value as it is: no quotes, unlike mount(2)'s data.
        if let label { opts.data.append("context=\(label)") }
        let target = try root.makeOrdinary(m)
        defer { close(target) }
        let ctx = try sys(hk_fsopen("proc"), "fsopen proc")
        defer { close(ctx) }
        try sys(hk_fsconfig_string(ctx, "source", m.source ?? "proc"), "procfs source")
        if let pidNamespace { try sys(hk_fsconfig_fd(ctx, "pidns", pidNamespace), "procfs option pidns") }
        for d in opts.data {
            let kv = d.split(separator: "=", maxSplits: 1)
            try sys(kv.count == 2 ? hk_fsconfig_string(ctx, String(kv[0]), String(kv[1])) : hk_fsconfig_flag(ctx, d),
                    "procfs option \(d)")
        }
        try sys(hk_fsconfig_create(ctx), "create a procfs")
        let tree = try sys(hk_fsmount(ctx, ContainerInit.mountAttributes(opts.flags)), "fsmount the procfs")
        defer { close(tree) }
        try sys(hk_move_mount(tree, "", target, "", HK_MOVE_MOUNT_F_EMPTY_PATH | HK_MOVE_MOUNT_T_EMPTY_PATH),
                "mount proc on \(m.destination)")
        try root.applyAfterMount(m.destination, opts)
    }

    /// mount(2)'s flags as fsmount(2) takes them; relatime is its default.
    static func mountAttributes(_ flags: UInt) -> UInt64 {
        let pairs: [(UInt, UInt64)] = [(MountFlag.rdonly, MountAttr.rdonly), (MountFlag.nosuid, MountAttr.nosuid),
                                       (MountFlag.nodev, MountAttr.nodev), (MountFlag.noexec, MountAttr.noexec),
                                       (MountFlag.noatime, MountAttr.noatime), (MountFlag.strictatime, MountAttr.strictatime),
                                       (MountFlag.nodiratime, MountAttr.nodiratime)]
        return pairs.reduce(0) { flags & $1.0 != 0 ? $0 | $1.1 : $0 }
    }
}
