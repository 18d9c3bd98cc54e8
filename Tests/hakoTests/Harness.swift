// Runs the real `hako` binary on real bundles. Every container gets an
// absolute cgroupsPath under /hako-test/ and is deleted by the test that
// made it; nothing is ever placed under the caller's own cgroup.
import Foundation
import HakoRuntime
import XCTest

struct Result {
    let code: Int32
    let out: String
    let err: String
}

enum Harness {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// The binary under test: $HAKO, or the release build of this package.
    static let hako: String = {
        if let h = ProcessInfo.processInfo.environment["HAKO"] { return h }
        return packageRoot + "/.build/release/hako"
    }()

    static let work: String = {
        let dir = "/tmp/hako-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTestObservationCenter.shared.addTestObserver(RemoveWorkDirectory())
        return dir
    }()

    static let stateRoot = work + "/state"

    /// A busybox rootfs from Debian's busybox-static, built once per run.
    static let rootfs: String = {
        let dir = work + "/rootfs"
        let bin = dir + "/bin"
        try? FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for d in ["proc", "sys", "dev", "etc", "tmp"] {
            try? FileManager.default.createDirectory(atPath: dir + "/" + d, withIntermediateDirectories: true)
        }
        _ = try? FileManager.default.copyItem(atPath: "/bin/busybox", toPath: bin + "/busybox")
        let list = sh("/bin/busybox --list").out.split(separator: "\n")
        for applet in list where applet != "busybox" {
            try? FileManager.default.createSymbolicLink(atPath: bin + "/" + applet, withDestinationPath: "busybox")
        }
        try? "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n"
            .write(toFile: dir + "/etc/passwd", atomically: true, encoding: .utf8)
        return dir
    }()

    static func checkPrerequisites() throws {
        if getuid() != 0 { XCTFail("container tests must run as root (they create namespaces, mounts and cgroups)") }
        guard FileManager.default.isExecutableFile(atPath: hako) else {
            XCTFail("no hako binary at \(hako): run `swift build -c release` first or set HAKO")
            throw XCTSkip("no hako binary")
        }
        guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            XCTFail("/bin/busybox is missing: apt-get install busybox-static")
            throw XCTSkip("no busybox")
        }
    }

    /// Output goes to files, not pipes: a container made by `create` keeps
    /// the caller's stdio, so a pipe would never reach EOF while it lives.
    ///
    /// Bounded: a process still running after `timeout` seconds is killed
    /// (SIGKILL, by its pid and its process group) and the test fails,
    /// naming the command line and what it wrote so far, instead of hanging
    /// the whole run.
    static func run(_ exe: String, _ args: [String], env: [String: String]? = nil, stdin: String? = nil,
                    timeout: TimeInterval = defaultTimeout, file: StaticString = #filePath, line: UInt = #line) -> Result {
        counter += 1
        let outPath = work + "/out-\(counter)", errPath = work + "/err-\(counter)"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { unlink(outPath); unlink(errPath) }
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            return Result(code: -1, out: "", err: "cannot open output files in \(work)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        if let env { p.environment = env }
        let inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inp
        let exited = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in exited.signal() }
        do { try p.run() } catch { return Result(code: -1, out: "", err: "\(error)") }
        if let stdin { inp.fileHandleForWriting.write(stdin.data(using: .utf8)!) }
        try? inp.fileHandleForWriting.close()
        let timedOut = exited.wait(timeout: .now() + timeout) == .timedOut
        var gone = true
        if timedOut {
            // The process, then the rest of the process group Foundation
            // made for it (its pid): its children inherit the socket by
            // which Foundation sees the end, so one left running (a sh's
            // sleep) would hide that end.
            kill(p.processIdentifier, SIGKILL)
            kill(-p.processIdentifier, SIGKILL)
            // SIGKILL cannot be caught, but a process stuck in the kernel
            // outlives it: the wait for its end is bounded too.
            gone = exited.wait(timeout: .now() + 10) == .success
        }
        if gone { p.waitUntilExit() }
        try? out.close()
        try? err.close()
        let o = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        var e = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        if timedOut {
            let command = ([exe] + args).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
            XCTFail("timed out after \(Int(timeout)) s, killed (SIGKILL, pid \(p.processIdentifier))\(gone ? "" : ", and still not gone 10 s later"): \(command)\n"
                    + "stdout so far: \(o.debugDescription)\nstderr so far: \(e.debugDescription)", file: file, line: line)
            e += "\nharness: timed out after \(Int(timeout)) s and killed"
        }
        return Result(code: gone ? p.terminationStatus : -1, out: o, err: e)
    }

    /// The bound of `run` when the caller gives none: generous for any
    /// command a test makes on a loaded machine, short next to a CI job.
    static let defaultTimeout: TimeInterval = 120

    static func sh(_ script: String, timeout: TimeInterval = defaultTimeout,
                   file: StaticString = #filePath, line: UInt = #line) -> Result {
        run("/bin/sh", ["-c", script], timeout: timeout, file: file, line: line)
    }

    /// hako with the test state root.
    static func hako(_ args: [String], env: [String: String]? = nil, timeout: TimeInterval = defaultTimeout,
                     file: StaticString = #filePath, line: UInt = #line) -> Result {
        run(hako, ["--root", stateRoot] + args, env: env, timeout: timeout, file: file, line: line)
    }

    static var counter = 0
    static func newID(_ name: String) -> String {
        counter += 1
        return "\(name)-\(getpid())-\(counter)"
    }

    /// Removes the test cgroup prefix once every container is gone.
    static func removeCgroupPrefix() {
        for root in CgroupLayout.detect().roots { rmdir(root + "/hako-test") }
    }
}

/// Removes the rootfs, bundles and state root when the whole run ends.
final class RemoveWorkDirectory: NSObject, XCTestObservation {
    func testBundleDidFinish(_ testBundle: Foundation.Bundle) {
        Harness.removeCgroupPrefix()
        try? FileManager.default.removeItem(atPath: Harness.work)
    }
}

/// A bundle directory with a config.json derived from `hako spec`.
struct Bundle {
    let id: String
    let dir: String
    var config: JSON

    init(_ name: String, args: [String], _ edit: (inout JSON) -> Void = { _ in }) {
        id = Harness.newID(name)
        dir = Harness.work + "/bundles/" + id
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var c = Spec.defaultConfig(rootless: false)
        c[["process", "terminal"]] = .bool(false)
        c[["process", "args"]] = .array(args.map { .string($0) })
        c[["root", "path"]] = .string(Harness.rootfs)
        c[["linux", "cgroupsPath"]] = .string("/hako-test/" + id)
        edit(&c)
        config = c
        write()
    }

    func write() {
        try? config.serialized(indent: "  ").write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
    }

    func hako(_ command: String, _ extra: [String] = [], env: [String: String]? = nil) -> Result {
        switch command {
        case "run", "create": return Harness.hako([command, "--bundle", dir] + extra + [id], env: env)
        case "kill":
            // runc's order: options, the ID, then the signal.
            let flags = extra.filter { $0.hasPrefix("-") }, rest = extra.filter { !$0.hasPrefix("-") }
            return Harness.hako([command] + flags + [id] + rest, env: env)
        default: return Harness.hako([command] + extra + [id], env: env)
        }
    }

    /// `hako run` in the foreground: the container's output and exit code.
    func run() -> Result { hako("run") }

    func cleanup() {
        _ = Harness.hako(["delete", "--force", id])
        try? FileManager.default.removeItem(atPath: dir)
    }

    var cgroupDirs: [String] { CgroupLayout.detect().roots.map { $0 + "/hako-test/" + id } }
}

extension JSON {
    var arrayValue: [JSON]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// Nested get/set by member path, creating objects on the way.
    subscript(path: [String]) -> JSON? {
        get {
            var cur: JSON? = self
            for k in path { cur = cur?[k] }
            return cur
        }
        set {
            guard let first = path.first else { return }
            if path.count == 1 { set(first, newValue); return }
            var child = self[first] ?? .object([])
            child[Array(path.dropFirst())] = newValue
            set(first, child)
        }
    }
}

extension JSON {
    /// Replaces linux.namespaces; without a new uts namespace the default
    /// hostname must go too, since setting it would be an error.
    mutating func setNamespaces(_ entries: [JSON]) {
        self[["linux", "namespaces"]] = .array(entries)
        if !entries.contains(where: { $0["type"] == .string("uts") && $0["path"] == nil }) { set("hostname", nil) }
    }

    mutating func setNamespaces(_ types: [String]) {
        setNamespaces(types.map { .object([("type", .string($0))]) })
    }

    /// The default namespaces minus `type`.
    mutating func dropNamespace(_ type: String) {
        guard case let .array(items)? = self[["linux", "namespaces"]] else { return }
        setNamespaces(items.filter { $0["type"] != .string(type) })
    }
}

/// What a failed command may not leave behind.
struct Leftovers: Equatable {
    let mounts: [String]
    let cgroups: [String]
    let stateEntries: [String]
    let processes: [String]

    /// Only what this test could have made counts: mounts on its own
    /// directories (the rootfs, bundles and state root under Harness.work,
    /// or a path naming the container), its container's cgroups, its state
    /// root's entries and the processes in its cgroup. The rest of the host's
    /// mount table changes under any other container work beside the tests.
    static func snapshot(id: String) -> Leftovers {
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8))?
            .split(separator: "\n").compactMap { line -> String? in
                // Drop the mount id and parent id, which differ between reads.
                let fields = line.split(separator: " ").dropFirst(2)
                guard fields.count > 2 else { return nil }
                let point = String(fields[fields.startIndex + 2])
                guard point == Harness.work || point.hasPrefix(Harness.work + "/") || point.contains(id) else { return nil }
                return fields.joined(separator: " ")
            } ?? []
        let cgroups = CgroupLayout.detect().roots.map { $0 + "/hako-test/" + id }.filter { FileManager.default.fileExists(atPath: $0) }
        let state = (try? FileManager.default.contentsOfDirectory(atPath: Harness.stateRoot)) ?? []
        var procs: [String] = []
        for p in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(p) != nil {
            // A zombie waiting for pid 1 to reap it is gone in every way that matters.
            if let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
               let close = stat.lastIndex(of: ")"), stat[close...].hasPrefix(") Z") { continue }
            if let c = try? String(contentsOfFile: "/proc/\(p)/cgroup", encoding: .utf8), c.contains("/hako-test/" + id) {
                procs.append(p)
            }
        }
        return Leftovers(mounts: mounts.sorted(), cgroups: cgroups, stateEntries: state.sorted(), processes: procs)
    }
}

class ContainerTestCase: XCTestCase {
    var bundles: [Bundle] = []

    override func setUpWithError() throws {
        try Harness.checkPrerequisites()
    }

    override func tearDown() {
        for b in bundles { b.cleanup() }
        bundles = []
        Harness.removeCgroupPrefix()
    }

    func bundle(_ name: String = #function, args: [String], _ edit: (inout JSON) -> Void = { _ in }) -> Bundle {
        let clean = name.filter { $0.isLetter || $0.isNumber }.prefix(24)
        let b = Bundle(String(clean), args: args, edit)
        bundles.append(b)
        return b
    }

    /// Runs `script` with sh in a fresh container and returns its output.
    func inside(_ script: String, name: String = #function, file: StaticString = #filePath, line: UInt = #line,
                _ edit: (inout JSON) -> Void = { _ in }) -> String {
        let b = bundle(name, args: ["sh", "-c", script], edit)
        let r = b.run()
        XCTAssertEqual(r.code, 0, "container failed: \(r.err)", file: file, line: line)
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
