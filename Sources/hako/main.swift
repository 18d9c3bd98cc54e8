// hako: an OCI container runtime with runc's command line.
import CNamespaces
import CSeccomp
import HakoRuntime
import Glibc

let globalOptions: [OptionSpec] = [
    .value("root"), .value("log"), .value("log-format"), .flag("debug"), .flag("systemd-cgroup"),
    .value("rootless"), .value("criu"), .flag("version", "v"), .flag("help", "h"), .flag("trace"),
]

let version = "0.1.0"

/// The global --criu: the criu binary checkpoint and restore run (a name is looked up on PATH).
var criuPath = "criu"

func usage() -> String {
    var s = "hako - an OCI container runtime\n\nusage: hako [global options] command [options] [arguments]\n\ncommands:\n"
    for c in commands { s += "   " + c.name.padding(10) + c.summary + "\n" }
    s += "\nglobal options:\n   --root DIR          state directory (default /run/hako; for\n                       other users $XDG_RUNTIME_DIR/hako)\n"
    s += "   --trace             print a timeline of the command's steps (microseconds) to stderr; also HAKO_TRACE=1\n"
    s += "   --log FILE          log file\n   --log-format text|json\n   --debug             debug messages\n"
    s += "   --criu PATH         the criu binary checkpoint and restore run (default: criu on PATH)\n"
    s += "   --systemd-cgroup    create's cgroup is a systemd scope (cgroupsPath slice:prefix:name; cgroup v2 hosts)\n   --version, -v\n   --help, -h\n"
    return s
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
}

func versionText() -> String {
    var buf = [CChar](repeating: 0, count: 32)
    hk_seccomp_version(&buf, UInt(buf.count))
    return "hako version \(version)\nspec: \(ContainerState.ociVersion)\nlibseccomp: \(String(cText: buf))"
}

func main() -> Int32 {
    let origin = Clock.micros()
    // A reader that goes away (a hook that exits without reading its stdin,
    // an engine that closed the console socket, a log on a closed pipe) is
    // an ordinary EPIPE to handle, never a signal that kills hako midway.
    // Every process hako starts resets this to the default before exec.
    signal(SIGPIPE, SIG_IGN)
    let argv = (0..<Int(hk_argc())).map { String(cText: hk_argv()[$0]!) }
    var logger = Logger.silent
    do {
        let global = try Arguments(argv.dropFirst(), options: globalOptions)
        let format: Logger.Format
        switch global["log-format"] ?? "text" {
        case "text": format = .text
        case "json": format = .json
        case let f: throw UsageError("invalid log format \"\(f)\"")
        }
        // Before anything of hako's own is opened (the --log file first).
        if let problem = try unopenedPreservedDescriptor(global) {
            logger.error(problem)
            // runc: exec exits 255 when the process cannot start, run and create 1.
            return global.positional.first == "exec" ? 255 : 1
        }
        let tracing = global.has("trace") || getenv("HAKO_TRACE") != nil
        logger = Logger(path: global["log"], format: format, debug: global.has("debug"), traceOrigin: tracing ? origin : nil,
                        failAt: getenv("HAKO_FAIL_AT").map { String(cText: $0) })
        logger.trace("arguments parsed")
        if global.has("version") { print(versionText()); return 0 }
        guard let name = global.positional.first, !global.has("help") else {
            print(usage(), terminator: "")
            return global.has("help") ? 0 : 1
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            // runc (urfave/cli) exits 3 here, with or without -h.
            logger.error("no such command \"\(name)\" (No help topic for '\(name)'); see hako --help")
            return 3
        }
        let rest = global.positional.dropFirst()
        // -h anywhere among the command's options, as runc takes it.
        let help: [OptionSpec] = [.flag("help", "h")]
        let args = try Arguments(rest, options: command.options + help, stopAtPositional: !command.optionsAfterID)
        if args.has("help") {
            print("usage: hako \(command.synopsis)\n\n\(command.summary)")
            return 0
        }
        if global.has("systemd-cgroup"), ["create", "run"].contains(command.name) {
            // Only create and run choose a driver: the others find it in
            // the container's state, with or without the flag, as runc's do.
            if !Files.isDirectory("/run/systemd/system") {
                throw UsageError("--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); use the cgroupfs driver (drop the flag)")
            }
            systemdCgroupFlag = true
        }
        criuPath = global["criu"] ?? criuPath
        let root = global["root"] ?? StateStore.defaultRoot(euid: geteuid(), xdgRuntimeDir: environment("XDG_RUNTIME_DIR"),
                                                                   user: environment("USER"))
        // CVE-2019-5736: the commands whose children enter a container run
        // from a copy of hako that the container cannot write.
        if ["create", "run", "exec"].contains(command.name) { try ExecutableSeal.ensure(logger: logger) }
        let code = try command.run(args, Runtime(root: root, logger: logger))
        logger.trace("done")
        return code
    } catch {
        logger.error("\(error)")
        return 1
    }
}

/// --preserve-fds N passes descriptors 3..<3+N (after LISTEN_FDS's for
/// create and run, which are checked the same way) to the container as they are. One that is not open
/// would be a free slot for the next descriptor hako opens, which the
/// container then got: the host's --log file, on exec the pid namespace
/// of the container. Refused in newer runc's words ("unable to stat
/// preserved-fd"); runc 1.1.5 does not check, and hands over its --log file.
func unopenedPreservedDescriptor(_ global: Arguments) throws -> String? {
    guard let name = global.positional.first, ["create", "run", "exec"].contains(name),
          let command = commands.first(where: { $0.name == name }) else { return nil }
    let args = try Arguments(global.positional.dropFirst(), options: command.options + [.flag("help", "h")],
                             stopAtPositional: !command.optionsAfterID)
    let create = name == "exec" ? nil : try createOptions(from: args)
    let listen = create?.listenFds ?? 0
    // LISTEN_FDS's own range first: a closed slot there is the same hole.
    for fd in 3..<3 + listen where hk_fcntl_int(Int32(fd), F_GETFD, 0) < 0 {
        return "LISTEN_FDS=\(listen), but descriptor \(fd) is not open"
    }
    let base = 3 + listen
    let n = try create?.preserveFds ?? args.descriptorCount("preserve-fds")
    for fd in base..<base + n where hk_fcntl_int(Int32(fd), F_GETFD, 0) < 0 {
        return "unable to stat preserved-fd \(fd - base) (of \(n)): descriptor \(fd) is not open"
    }
    return nil
}

exit(main())

func environment(_ name: String) -> String? { getenv(name).map { String(cText: $0) } }
