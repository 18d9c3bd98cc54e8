// One entry per subcommand: its options, its synopsis, and what it does.
import HakoRuntime
import Glibc

struct Command {
    let name: String
    let synopsis: String
    let summary: String
    let options: [OptionSpec]
    /// Options may follow the ID, as urfave/cli's argument reordering lets
    /// runc take them; exec and ps keep what follows the ID for the process.
    var optionsAfterID = true
    let run: (Arguments, Runtime) throws -> Int32
}

let createOptions: [OptionSpec] = [
    .value("bundle", "b"), .value("pid-file"), .value("console-socket"), .value("preserve-fds"),
    .flag("no-pivot"), .flag("no-new-keyring"),
]

/// The global --systemd-cgroup, set by main once it has checked for systemd:
/// a global option, where createOptions(from:) sees only the command's.
var systemdCgroupFlag = false

func createOptions(from a: Arguments) throws -> CreateOptions {
    var o = CreateOptions()
    o.systemdCgroup = systemdCgroupFlag
    o.bundle = a["bundle"] ?? "."
    o.pidFile = a["pid-file"]
    o.consoleSocket = a["console-socket"]
    o.noPivot = a.has("no-pivot")
    o.noNewKeyring = a.has("no-new-keyring")
    // Socket activation: systemd's fds sit right after stdio. A count no
    // process could hold is not systemd's, and is ignored as sd_listen_fds does.
    if let n = getenv("LISTEN_FDS").map({ String(cText: $0) }).flatMap(Int.init), n > 0, n < Int(Int32.max) {
        o.listenFds = n
    }
    o.preserveFds = try a.descriptorCount("preserve-fds", more: o.listenFds)
    o.notifySocket = NotifySocket.fromEnvironment()
    return o
}

// runc 1.1's spelling. --lazy-pages, --status-fd and --page-server are
// taken so that hako can refuse them by name (CheckpointOptions).
let checkpointOptions: [OptionSpec] = [
    .value("image-path"), .value("work-path"), .value("parent-path"), .flag("leave-running"),
    .flag("tcp-established"), .flag("ext-unix-sk"), .flag("shell-job"), .flag("lazy-pages"),
    .value("status-fd"), .value("page-server"), .flag("file-locks"), .flag("pre-dump"),
    .value("manage-cgroups-mode"), .value("empty-ns"), .flag("auto-dedup"),
]

func checkpointOptions(from a: Arguments) throws -> CheckpointOptions {
    var o = CheckpointOptions()
    o.imagePath = a["image-path"] ?? o.imagePath
    o.workPath = a["work-path"]
    o.parentPath = a["parent-path"]
    o.leaveRunning = a.has("leave-running")
    o.tcpEstablished = a.has("tcp-established")
    o.extUnixSk = a.has("ext-unix-sk")
    o.shellJob = a.has("shell-job")
    o.lazyPages = a.has("lazy-pages")
    if let fd = a["status-fd"] {
        guard let n = Int(fd), n >= -1 else { throw UsageError("invalid value \"\(fd)\" for --status-fd") }
        o.statusFd = n
    }
    o.pageServer = a["page-server"]
    o.fileLocks = a.has("file-locks")
    o.preDump = a.has("pre-dump")
    o.manageCgroupsMode = a["manage-cgroups-mode"]
    o.emptyNamespaces = a.all("empty-ns")
    o.autoDedup = a.has("auto-dedup")
    o.criu = criuPath
    return o
}

// runc 1.1's restore flags; --lazy-pages and --console-socket are taken
// so that hako can refuse them by name (RestoreOptions).
let restoreOptions: [OptionSpec] = [
    .value("image-path"), .value("work-path"), .value("bundle", "b"), .flag("detach", "d"), .value("pid-file"),
    .value("console-socket"), .flag("tcp-established"), .flag("ext-unix-sk"), .flag("shell-job"),
    .flag("file-locks"), .flag("no-subreaper"), .flag("no-pivot"), .value("manage-cgroups-mode"),
    .value("empty-ns"), .flag("auto-dedup"), .flag("lazy-pages"), .value("lsm-profile"), .value("lsm-mount-context"),
]

func restoreOptions(from a: Arguments) -> RestoreOptions {
    var o = RestoreOptions()
    o.imagePath = a["image-path"] ?? o.imagePath
    o.workPath = a["work-path"]
    o.bundle = a["bundle"] ?? "."
    o.detach = a.has("detach")
    o.pidFile = a["pid-file"]
    o.consoleSocket = a["console-socket"]
    o.tcpEstablished = a.has("tcp-established")
    o.extUnixSk = a.has("ext-unix-sk")
    o.shellJob = a.has("shell-job")
    o.fileLocks = a.has("file-locks")
    o.noPivot = a.has("no-pivot")
    // --no-subreaper is taken and has nothing to change: with --detach hako
    // exits once criu is done, and the restored init is reparented as runc's is.
    o.manageCgroupsMode = a["manage-cgroups-mode"]
    o.emptyNamespaces = a.all("empty-ns")
    o.autoDedup = a.has("auto-dedup")
    o.lazyPages = a.has("lazy-pages")
    o.lsmProfile = a["lsm-profile"]
    o.lsmMountContext = a["lsm-mount-context"]
    o.systemdCgroup = systemdCgroupFlag
    o.criu = criuPath
    return o
}

func printJSON(_ j: JSON) {
    print(j.serialized(indent: "  "))
}

let commands: [Command] = [
    Command(name: "create", synopsis: "create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--preserve-fds N] [--no-pivot] [--no-new-keyring] ID",
            summary: "create a container; its process waits for start", options: createOptions) { a, rt in
        try rt.create(id: a.id("create"), options: createOptions(from: a))
        return 0
    },
    Command(name: "run", synopsis: "run [--detach] [--keep] [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--preserve-fds N] [--no-pivot] ID",
            summary: "create and start a container; without --detach, wait and exit with its status",
            options: createOptions + [.flag("detach", "d"), .flag("keep"), .flag("no-subreaper")]) { a, rt in
        var o = try createOptions(from: a)
        o.subreaper = !a.has("no-subreaper")
        return try rt.run(id: a.id("run"), options: o, detach: a.has("detach"), keep: a.has("keep"))
    },
    Command(name: "start", synopsis: "start ID", summary: "run the user process of a created container", options: []) { a, rt in
        try rt.start(id: a.id("start"), notifySocket: NotifySocket.fromEnvironment())
        return 0
    },
    Command(name: "state", synopsis: "state ID", summary: "print the state of a container as JSON", options: []) { a, rt in
        printJSON(try rt.state(id: a.id("state")))
        return 0
    },
    Command(name: "kill", synopsis: "kill [--all] ID [SIGNAL]", summary: "send a signal (default SIGTERM) to the container",
            options: [.flag("all", "a")]) { a, rt in
        let sig = try Signals.parse(a.positional.count > 1 ? a.positional[1] : "SIGTERM", allowZero: true)
        try rt.kill(id: a.id("kill"), signal: sig, all: a.has("all"))
        return 0
    },
    Command(name: "delete", synopsis: "delete [--force] ID", summary: "delete a stopped container (--force: any container)",
            options: [.flag("force", "f")]) { a, rt in
        try rt.delete(id: a.id("delete"), force: a.has("force"))
        return 0
    },
    Command(name: "list", synopsis: "list [--format table|json] [--quiet]", summary: "list containers",
            options: [.value("format", "f"), .flag("quiet", "q")]) { a, rt in
        let all = rt.list()
        if a.has("quiet") {
            for s in all { if case let .string(id)? = s["id"] { print(id) } }
            return 0
        }
        switch a["format"] ?? "table" {
        case "json": print(JSON.array(all).serialized())
        case "table": print(Table.render(all), terminator: "")
        case let f: throw UsageError("invalid format \"\(f)\"")
        }
        return 0
    },
    Command(name: "exec",
            synopsis: "exec [--process FILE] [--tty] [--console-socket SOCK] [--detach] [--pid-file FILE] [--cwd DIR] [--env K=V]... [--user UID[:GID]] [--additional-gids GID]... [--cap CAP]... [--no-new-privs] [--apparmor PROFILE] [--process-label LABEL] [--preserve-fds N] [--cgroup [CONTROLLERS:]PATH]... [--ignore-paused] ID [COMMAND [ARG...]]",
            summary: "run a process in a running container",
            options: [.value("process", "p"), .flag("tty", "t"), .value("console-socket"), .flag("detach", "d"),
                      .value("pid-file"), .value("cwd"), .value("env", "e"), .value("user", "u"),
                      .value("additional-gids", "g"), .value("cap", "c"), .flag("no-new-privs"), .value("apparmor"),
                      .value("process-label"), .value("preserve-fds"), .flag("ignore-paused"),
                      .value("cgroup")], optionsAfterID: false) { a, rt in
        var o = ExecOptions()
        o.processFile = a["process"]
        o.args = Array(a.positional.dropFirst())
        o.tty = a.has("tty")
        o.detach = a.has("detach")
        o.consoleSocket = a["console-socket"]
        o.pidFile = a["pid-file"]
        o.cwd = a["cwd"]
        o.env = a.all("env")
        o.user = a["user"]
        o.additionalGids = a.all("additional-gids")
        o.capabilities = a.all("cap")
        o.noNewPrivileges = a.has("no-new-privs")
        o.apparmorProfile = a["apparmor"]
        o.processLabel = a["process-label"]
        o.preserveFds = try a.descriptorCount("preserve-fds")
        o.cgroups = a.all("cgroup")
        o.ignorePaused = a.has("ignore-paused")
        // runc: whatever stops the process from starting exits 255, which
        // engines tell from the process's own status (podman, containerd).
        do { return try rt.exec(id: a.id("exec"), options: o) } catch {
            rt.logger.error("\(error)")
            return 255
        }
    },
    Command(name: "ps", synopsis: "ps [--format table|json] ID [PS_ARGS...]",
            summary: "list the processes of a container", options: [.value("format", "f")], optionsAfterID: false) { a, rt in
        let pids = try rt.processes(id: a.id("ps"))
        switch a["format"] ?? "table" {
        case "json":
            print(JSON.array(pids.map { .int($0) }).serialized())
        case "table":
            // Like runc: the host's ps, filtered to the container's pids.
            let psArgs = a.positional.count > 1 ? Array(a.positional.dropFirst()) : ["-ef"]
            print(try PsTable.render(pids: pids, psArgs: psArgs), terminator: "")
        case let f: throw UsageError("invalid format \"\(f)\"")
        }
        return 0
    },
    Command(name: "pause", synopsis: "pause ID", summary: "freeze every process of the container", options: []) { a, rt in
        try rt.pause(id: a.id("pause"))
        return 0
    },
    Command(name: "resume", synopsis: "resume ID", summary: "thaw a paused container", options: []) { a, rt in
        try rt.resume(id: a.id("resume"))
        return 0
    },
    Command(name: "update", synopsis: "update [--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] [--cpu-share N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L] [--cpuset-mems L] [--pids-limit N] [--blkio-weight N] ... ID",
            summary: "change the resources of a running container",
            options: [.value("resources", "r")] + UpdateFlag.allCases.map { OptionSpec(names: [$0.name] + $0.otherNames, takesValue: true) }) { a, rt in
        var file: JSON? = nil
        var source = "flags"
        if let path = a["resources"] {
            let bytes = path == "-" ? try Files.readAll(0, "stdin") : try Files.read(path)
            file = try JSON.parse(bytes)
            source = path == "-" ? "resources (stdin)" : path
        }
        let flags = UpdateFlag.allCases.compactMap { f in a[f.name].map { (f, $0) } }
        let resources: Resources, document: JSON
        do { (resources, document) = try Runtime.updateResources(file: file, flags: flags) } catch let e as SpecError {
            throw SpecError(e.path, e.reason, document: source)
        }
        try rt.update(id: a.id("update"), resources: resources, document: document, source: source)
        return 0
    },
    Command(name: "checkpoint",
            synopsis: "checkpoint [--image-path DIR] [--work-path DIR] [--parent-path DIR] [--leave-running] [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks] [--pre-dump] [--auto-dedup] [--manage-cgroups-mode soft|full|strict] [--empty-ns NS]... ID",
            summary: "save a running container's processes to image files with criu",
            options: checkpointOptions) { a, rt in
        try rt.checkpoint(id: a.id("checkpoint"), options: checkpointOptions(from: a))
        return 0
    },
    Command(name: "restore",
            synopsis: "restore --detach [--image-path DIR] [--work-path DIR] [--bundle DIR] [--pid-file FILE] [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks] [--no-subreaper] [--no-pivot] [--manage-cgroups-mode soft|full|strict] [--empty-ns NS]... [--auto-dedup] [--lsm-profile P] [--lsm-mount-context C] ID",
            summary: "start a checkpointed container's processes again with criu", options: restoreOptions) { a, rt in
        try rt.restore(id: a.id("restore"), options: restoreOptions(from: a))
        return 0
    },
    Command(name: "events", synopsis: "events [--stats] [--interval DURATION] ID",
            summary: "print resource usage and OOM events as JSON", options: [.flag("stats"), .value("interval")]) { a, rt in
        let interval = try Durations.milliseconds(a["interval"] ?? "5s", flag: "interval")
        try rt.events(id: a.id("events"), statsOnce: a.has("stats"), intervalMilliseconds: interval) { event in
            print(event.serialized())
            fflush(stdout)
        }
        return 0
    },
    Command(name: "features", synopsis: "features", summary: "print what this hako supports, as JSON (runtime-spec features.md)",
            options: []) { _, _ in
        printJSON(Features.json(version: version))
        return 0
    },
    Command(name: "check", synopsis: "check [--bundle DIR]",
            summary: "list every problem that would make create fail, in the config and on this host", options: [.value("bundle", "b")]) { a, rt in
        let dir = a["bundle"] ?? "."
        let problems = BundleCheck(bundle: dir, logger: rt.logger).run()
        for p in problems { print(p) }
        if problems.isEmpty {
            print("\(dir): no problems found")
            return 0
        }
        print("\(problems.count) problem\(problems.count == 1 ? "" : "s")")
        return 1
    },
    Command(name: "spec", synopsis: "spec [--rootless] [--bundle DIR]", summary: "write a default config.json",
            options: [.flag("rootless"), .value("bundle", "b")]) { a, _ in
        let dir = a["bundle"] ?? "."
        let path = dir + "/config.json"
        if Files.exists(path) { throw RuntimeError("file \(path) exists: remove it first") }
        let json = Spec.defaultConfig(rootless: a.has("rootless"), uid: getuid(), gid: getgid())
        try Files.write(path, json.serialized(indent: "\t") + "\n", flags: O_WRONLY | O_CREAT | O_EXCL)
        return 0
    },
]

enum Table {
    /// runc's `list` layout: tab-separated columns padded like Go's tabwriter (minwidth 12, padding 3).
    static func render(_ states: [JSON]) -> String {
        var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
        for s in states {
            func f(_ k: String) -> String {
                switch s[k] {
                case let .string(v)?: return v
                case let .number(v)?: return v
                default: return ""
                }
            }
            rows.append([f("id"), f("pid"), f("status"), f("bundle"), f("created"), f("owner")])
        }
        let widths = (0..<6).map { c in max(12, rows.map { $0[c].count + 3 }.max() ?? 0) }
        return rows.map { r in
            r.enumerated().map { c, v in c == 5 ? v : v + String(repeating: " ", count: widths[c] - v.count) }.joined()
        }.joined(by: "\n") + "\n"
    }
}

/// Go-style durations as runc's flags take them (time.ParseDuration):
/// "5s", "500ms", "1m30s", "1.5h". Read exactly, in integer nanoseconds,
/// and refused past Go's limit (about 292 years), as Go refuses them.
enum Durations {
    static let units: [(String, UInt64)] = [
        ("ns", 1), ("us", 1_000), ("\u{b5}s", 1_000), ("\u{3bc}s", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    static func milliseconds(_ text: String, flag: String) throws -> Int {
        func invalid(_ why: String) -> UsageError { UsageError("invalid value \"\(text)\" for --\(flag): \(why)") }
        let b = Array(text.utf8)
        var i = 0, total: UInt64 = 0
        let limit = UInt64(Int64.max)
        func digit(_ k: Int) -> UInt64? { k < b.count && b[k] >= 0x30 && b[k] <= 0x39 ? UInt64(b[k] - 0x30) : nil }
        if b.isEmpty { throw invalid("empty duration") }
        if b[0] == UInt8(ascii: "-") { throw invalid("must be positive") }
        if b[0] == UInt8(ascii: "+") { i = 1 }
        while i < b.count {
            // [0-9]*(.[0-9]*)? then a unit
            var whole: UInt64 = 0, fraction: UInt64 = 0, scale: UInt64 = 1, seen = false
            while let d = digit(i) {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(d)
                if o1 || o2 || a > limit { throw invalid("out of range") }
                whole = a; seen = true; i += 1
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                while let d = digit(i) {
                    // Digits past a nanosecond of an hour cannot matter.
                    if scale < 10_000_000_000_000 { fraction = fraction * 10 + d; scale *= 10 }
                    seen = true; i += 1
                }
            }
            if !seen { throw invalid("not a duration") }
            let rest = b[i...]
            guard let (u, ns) = units.filter({ rest.starts(with: Array($0.0.utf8)) }).max(by: { $0.0.utf8.count < $1.0.utf8.count }) else {
                throw invalid(i == b.count ? "missing unit" : "unknown unit")
            }
            i += u.utf8.count
            let (w, o1) = whole.multipliedReportingOverflow(by: ns)
            // fraction/scale of the unit, rounded down like Go; below one
            // unit, so the full-width quotient always fits.
            let f = scale.dividingFullWidth(fraction.multipliedFullWidth(by: ns)).quotient
            let (sum, o2) = w.addingReportingOverflow(f)
            let (t, o3) = total.addingReportingOverflow(sum)
            if o1 || o2 || o3 || t > limit { throw invalid("out of range") }
            total = t
        }
        let ms = total / 1_000_000
        guard ms >= 1 else { throw invalid("must be at least 1ms") }
        return Int(ms)
    }
}
