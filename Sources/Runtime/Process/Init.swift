// The container's init: the child `hako create` clones into the new
// namespaces. It runs hako's own Swift code until execve, in this order:
// join namespaces, build the rootfs, pivot_root, set up the process, report
// ready, wait for `start`, exec. Any failure before ready goes back to the
// runtime as an error message and the init exits.
import CNamespaces
import Glibc

struct ContainerInit {
    let spec: Spec
    let rootfsPath: String
    let bundle: String
    let cgroup: Cgroup
    let sync: SyncChannel
    /// exec.fifo in the state directory; nil for `run`, which says start over sync.
    let fifoPath: String?
    let consoleSocket: Int32?
    /// Namespaces joined by path, opened by the runtime before clone.
    let joins: [(NamespaceType, Int32)]
    let options: CreateOptions
    /// The state hooks receive on stdin; the pid is filled in by the init.
    let hookBase: ContainerState
    /// The compiled linux.seccomp, installed just before execve.
    let seccomp: SeccompFilter?
    let logger: Logger

    func run() -> Never {
        closeInheritedDescriptors()
        do {
            try setup()
        } catch {
            // Before ready the runtime is listening; after it, stderr is all there is.
            if (try? sync.send(.error("\(error)"))) == nil { logger.error("\(error)") }
            _exit(1)
        }
        _exit(127)
    }

    var linux: Linux? { spec.linux }

    /// The caller may have left descriptors open without CLOEXEC (Foundation's
    /// Process keeps one to notice its child's exit). The init lives on until
    /// `start`, so it must not hold them: keep stdio, the preserved and
    /// LISTEN_FDS range, and the init's own, close the rest now.
    func closeInheritedDescriptors() {
        let passed = 3 + Int32(options.preserveFds + options.listenFds)
        var own = [sync.fd] + joins.map(\.1)
        if let consoleSocket { own.append(consoleSocket) }
        if let fd = logger.fd { own.append(fd) }
        closeDescriptors(from: passed, except: own)
    }

    func setup() throws {
        // Idmapped mounts come first, made by hako (IdmappedMounts.swift).
        var idmapped: [Int: Int32] = [:]
        waiting: while true {
            switch try sync.receiveWithDescriptor() {
            case (.go?, _): break waiting
            case let (.mount(k)?, fd?): idmapped[k] = fd
            case let (.error(m)?, _): throw RuntimeError(m)
            case (nil, _): throw RuntimeError("hako exited unexpectedly")
            case let (other?, _): throw RuntimeError("hako: expected go, got \(other.text)")
            }
        }
        try logger.step("init: go")
        // exec.fifo is opened first: pivot_root will hide the state
        // directory, and in a new user namespace the switch to its root
        // takes away host root's ownership of the (0600) fifo.
        var fifo: (reader: Int32, writer: Int32)? = nil
        if let fifoPath {
            let r = try sys(open(fifoPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC), "open exec fifo")
            let w = try sys(open(fifoPath, O_WRONLY | O_NONBLOCK | O_CLOEXEC), "open exec fifo")
            fifo = (r, w)
        }
        // Held open read-write so that a report written before `start`
        // reads it stays in the pipe.
        var hooksReport: Int32 = -1
        if let fifoPath, !spec.hooks.startContainer.isEmpty {
            let path = String(fifoPath.dropLast("exec.fifo".count)) + "hooks.fifo"
            hooksReport = try sys(open(path, O_RDWR | O_CLOEXEC), "open hooks fifo")
        }
        for (type, fd) in joins.sorted(by: { a, _ in a.0 == .user }) where type != .pid {
            try sys(hk_setns(fd, type.cloneFlag), "join \(type.rawValue) namespace \(linux?.namespace(type)?.path ?? "")")
            close(fd)
        }
        if linux?.namespace(.user) != nil {
            // Maps are written: become root of the new user namespace.
            try sys(hk_setresgid(0, 0, 0), "setresgid 0 in user namespace")
            try sys(hk_setresuid(0, 0, 0), "setresuid 0 in user namespace")
        }
        try logger.step("init: namespaces joined")
        if !options.noNewKeyring { try SessionKeyring.join(name: "_ses." + hookBase.id) }
        if let ns = linux?.namespace(.cgroup), ns.path == nil {
            // After the runtime moved us into the container's cgroup, so that
            // the namespace's root is that cgroup.
            try sys(hk_unshare(NamespaceType.cgroup.cloneFlag), "unshare cgroup namespace")
        }
        // A new network namespace starts with lo down; runc and crun bring it
        // up, and programs that talk to 127.0.0.1 rely on that.
        if let ns = linux?.namespace(.network), ns.path == nil {
            try sys(hk_loopback_up(), "bring up lo in the new network namespace")
        }
        if let h = spec.hostname { try sys(hk_sethostname(h, h.utf8.count), "sethostname") }
        if let d = spec.domainname { try sys(hk_setdomainname(d, d.utf8.count), "setdomainname") }
        umask(0)
        // The host's /proc is still mounted here, so /proc/self names the
        // init by its pid in the runtime's namespace, which hooks expect.
        var base = hookBase
        base.pid = ContainerInit.hostPid() ?? 0


        // The seccomp agent's socket is a host path: connect while it is visible.
        var agent: Int32 = -1
        if seccomp?.notify == true, let path = linux?.seccomp?.listenerPath {
            agent = hk_connect_unix(path)
            if agent < 0 { throw SpecError("linux.seccomp.listenerPath", SystemError("connect to \(path)").description) }
        }

        let process = spec.process
        do {
            if linux?.namespace(.mount) != nil {
                try Rootfs.prepare(rootfsPath, propagation: linux?.rootfsPropagation)
            } else {
                // The container shares hako's mount namespace, yet its mounts
                // must still be made (config.md). They go on a bind mount of
                // the rootfs, which `delete` detaches with everything on it;
                // it also keeps a read-only root from remounting the host's.
                try sys(hk_mount(rootfsPath, rootfsPath, nil, MountFlag.bind | MountFlag.rec, nil), "bind mount rootfs \(rootfsPath)")
            }
            let rootfs = try Rootfs(path: rootfsPath, bundle: bundle)
            defer { close(rootfs.rootFD) }
            var mountLabel = linux?.mountLabel
            if mountLabel != nil, !SecurityLabels.selinuxEnabled {
                logger.warn("config.json: linux.mountLabel: SELinux is not enabled on this host; not applied")
                mountLabel = nil
            }
            try rootfs.mountAll(spec.mounts, cgroup: cgroup, cgroupNamespace: linux?.namespace(.cgroup) != nil,
                                mountLabel: mountLabel, idmapped: idmapped,
                                sysfsByBind: linux?.namespace(.user) != nil && linux?.namespace(.network) == nil)
            if !Rootfs.bindsDev(spec.mounts) {
                try rootfs.createDevices(linux?.devices ?? [])
                try rootfs.createDevSymlinks()
            }
            if let cwd = process?.cwd {
                do { close(try rootfs.make(cwd, .directory)) } catch { throw SpecError("process.cwd", "\(error)") }
            }
        }
        try logger.step("init: mounts and devices done")
        if !spec.hooks.prestart.isEmpty || !spec.hooks.createRuntime.isEmpty {
            try sync.send(.hooks)
            try sync.expect(.ok, from: "hako")
        }
        try HookRunner(state: base.ociJSON(status: .creating)).run(spec.hooks.createContainer, kind: "createContainer")

        if linux?.namespace(.mount) != nil {
            try Rootfs.pivot(rootfsPath, noPivot: options.noPivot)
            if let p = linux?.rootfsPropagation { try Rootfs.setPropagation(p) }
        } else {
            try sys(chroot(rootfsPath), "chroot \(rootfsPath)")
            try sys(chdir("/"), "chdir /")
        }

        try logger.step("init: pivot_root done")
        var terminal: Terminal? = nil
        if let process, process.terminal {
            guard let consoleSocket else { throw RuntimeError("process.terminal is true but no --console-socket was given") }
            terminal = try Terminal.setup(consoleSocket: consoleSocket, size: process.consoleSize)
        }
        if let consoleSocket { close(consoleSocket) }
        try Rootfs.writeSysctls(linux?.sysctl ?? [])
        try Rootfs.readonlyPaths(linux?.readonlyPaths ?? [])
        try Rootfs.maskPaths(linux?.maskedPaths ?? [])
        if spec.root?.readonly == true { try Rootfs.makeRootReadonly() }

        guard let process else {
            // A container without a process can be created; `start` refuses it.
            try sync.send(.ready)
            while true { pause() }
        }
        try Credentials.applyRlimits(process.rlimits)
        if let o = process.oomScoreAdj { try Credentials.setOOMScoreAdj(o) }
        try ProcessSettings.apply(process, linux: linux)
        _ = setsid()
        try terminal?.attach()
        // Installing a filter without no_new_privs needs CAP_SYS_ADMIN. The
        // filter goes on last, just before execve, so the runtime's own
        // syscalls are not subject to it; for that CAP_SYS_ADMIN is held
        // until then and dropped by the one capset that follows the install.
        // Only a non-root user with no capability sets cannot hold it
        // across the user switch: then the filter goes on first.
        var seccompFirst = false, holdSysAdmin = false
        if let seccomp {
            if process.noNewPrivileges {
            } else if process.capabilities == nil && process.user.uid != 0 {
                seccompFirst = true
            } else {
                holdSysAdmin = process.capabilities.map { !$0.effective.contains(21) } ?? false
            }
            if seccompFirst { try installSeccomp(seccomp, agent: agent, base) }
        }
        // The cwd is entered before the user and capabilities change (runc's
        // finalizeNamespace), and again after only if that was refused.
        let inCwd = try Rootfs.changeDirectoryBeforeUser(process.cwd)
        try Credentials.apply(user: process.user, capabilities: process.capabilities,
                              noNewPrivileges: process.noNewPrivileges, holdSysAdmin: holdSysAdmin, logger: logger)
        umask(mode_t(process.user.umask ?? 0o022))
        if !inCwd { try Rootfs.changeDirectory(process.cwd) }
        var env = process.env
        if !env.contains(where: { $0.hasBytePrefix("HOME=") }) { env.append("HOME=" + Credentials.home(of: process.user.uid)) }
        if options.listenFds > 0 { env += ["LISTEN_FDS=\(options.listenFds)", "LISTEN_PID=1"] }
        let executable = try Exec.find(process.args.first ?? "", env: env)

        try logger.step("init: process settings applied; ready")
        try sync.send(.ready)
        if let fifo {
            // A created container dies of SIGHUP, SIGINT, SIGTERM and SIGQUIT
            // as runc's does (its Go runtime exits on them). Without a
            // handler the kernel drops them for a pid namespace's init, and
            // `kill ID TERM` would leave it created for ever. The handlers go
            // before exec (hk_default_signal_handlers).
            for s in [SIGHUP, SIGINT, SIGTERM, SIGQUIT] { signal(s) { _exit(128 + $0) } }
            // Blocks until `hako start` writes a byte; we hold a writer so
            // that the read waits instead of returning end-of-file.
            _ = hk_fcntl_int(fifo.reader, F_SETFL, 0)
            var byte: UInt8 = 0
            let n = retryEINTR { Int32(read(fifo.reader, &byte, 1)) }
            if n != 1 { throw SystemError("read exec fifo") }
            close(fifo.reader)
            close(fifo.writer)
        } else {
            try sync.expect(.start, from: "hako")
        }
        logger.trace("init: started")
        do {
            try HookRunner(state: base.ociJSON(status: .created)).run(spec.hooks.startContainer, kind: "startContainer")
        } catch {
            if hooksReport >= 0 { try? Files.writeAll(hooksReport, Array("E\(error)".utf8), "hooks fifo") }
            throw error
        }
        if hooksReport >= 0 {
            try? Files.writeAll(hooksReport, [0x30], "hooks fifo")
            close(hooksReport)
        }
        close(sync.fd)

        // Only stdio and the preserved descriptors cross into the container.
        let keep = 3 + Int32(options.preserveFds + options.listenFds)
        for fd in 3..<keep { _ = hk_fcntl_int(fd, F_SETFD, 0) }
        _ = hk_close_range(UInt32(keep), UInt32.max, 4 /* CLOSE_RANGE_CLOEXEC */)
        _ = hk_default_signal_handlers()
        try ProcessSettings.setAffinity(process.execCPUAffinity?.final, field: "final")
        try SecurityLabels.setExecLabels(process, logger: logger)
        if let seccomp, !seccompFirst {
            try installSeccomp(seccomp, agent: agent, base)
            if holdSysAdmin, let caps = process.capabilities { try Credentials.setCapabilities(caps) }
        }
        _ = hk_unblock_all_signals()
        logger.trace("init: execve \(executable)")
        Exec.execve(executable, process.args, env)
        logger.error("exec \(executable): \(SystemError.describe(errno))")
        _exit(127)
    }
}

extension ContainerInit {
    func installSeccomp(_ filter: SeccompFilter, agent: Int32, _ state: ContainerState) throws {
        let payload = SeccompListener.message(pid: state.pid, metadata: linux?.seccomp?.listenerMetadata,
                                              state: state.ociJSON(status: .created))
        try SeccompListener(agent: agent, payload: payload).install(filter)
    }

    static func hostPid() -> Int32? {
        var buf = [CChar](repeating: 0, count: 32)
        let n = readlink("/proc/self", &buf, buf.count - 1)
        return n > 0 ? Int32(String(cText: buf)) : nil
    }
}

extension Exec {
    /// execvp's search, done before `start` so a missing program fails `create`.
    /// The words are runc's (Go's exec.LookPath): engines read them to
    /// report 127 (not found) or 126 (cannot be run), docker in
    /// daemon/errors.go translateContainerdStartErr, podman in
    /// libpod/oci_util.go getOCIRuntimeError.
    static func find(_ name: String, env: [String]) throws -> String {
        if name.isEmpty { throw SpecError("process.args", "must not be empty") }
        if name.contains("/") {
            if let why = notRunnable(name, stat: { stat($0, &$1) }) { throw SpecError("process.args[0]", why) }
            return name
        }
        let path = env.last(where: { $0.hasBytePrefix("PATH=") }).map { String($0.dropFirst(5)) }
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if notRunnable(candidate, stat: { stat($0, &$1) }) == nil { return candidate }
        }
        throw SpecError("process.args[0]", Exec.notFoundInPath(name))
    }

    static func notFoundInPath(_ name: String) -> String { "exec: \"\(name)\": executable file not found in $PATH" }

    /// Why `path` cannot be executed, in runc's words, or nil: a regular
    /// file with an execute bit. A directory or a file without one is
    /// "permission denied", as execve would say.
    static func notRunnable(_ path: String, stat statFn: (String, inout stat) -> Int32) -> String? {
        var st = stat()
        if statFn(path, &st) != 0 {
            let e = SystemError.describe(errno == 0 ? ENOENT : errno)
            return "exec: \"\(path)\": stat \(path): \(e.prefix(1).lowercased() + e.dropFirst())"
        }
        if (st.st_mode & S_IFMT) == S_IFDIR || (st.st_mode & 0o111) == 0 { return "exec: \"\(path)\": permission denied" }
        return nil
    }
}
