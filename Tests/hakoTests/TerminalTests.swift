// process.terminal with --console-socket: the pty master arrives over the
// socket and the container's stdio is the slave.
import CNamespaces
import Foundation
import HakoRuntime
import XCTest

final class TerminalTests: ContainerTestCase {
    func consoleListener(_ sockPath: String) -> Int32 {
        unlink(sockPath)
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, c) in sockPath.utf8.enumerated() { raw[i] = c }
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(listener, 1), 0)
        return listener
    }

    func testConsoleSocketReceivesThePtyMaster() throws {
        let sockPath = Harness.work + "/console-\(getpid()).sock"
        let listener = consoleListener(sockPath)
        defer { close(listener); unlink(sockPath) }
        let b = bundle(args: ["sh", "-c", "tty; stty size; test -c /dev/console && echo console-ok"]) { c in
            c[["process", "terminal"]] = .bool(true)
            c[["process", "consoleSize"]] = .object([("height", .int(33)), ("width", .int(101))])
        }
        let r = b.hako("create", ["--console-socket", sockPath])
        XCTAssertEqual(r.code, 0, r.err)
        let conn = accept(listener, nil, nil)
        XCTAssertGreaterThanOrEqual(conn, 0)
        var name = [CChar](repeating: 0, count: 64)
        let master = hk_recv_fd(conn, &name, 63)
        close(conn)
        XCTAssertGreaterThanOrEqual(master, 0, "a pty master arrives over the console socket")
        XCTAssertEqual(b.hako("start").code, 0)
        var output = ""
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(master, &buf, buf.count)
            if n <= 0 { break }
            output += String(decoding: buf[0..<n], as: UTF8.self)
        }
        close(master)
        XCTAssertEqual(output.replacingOccurrences(of: "\r", with: ""), "/dev/pts/0\n33 101\nconsole-ok\n")
    }

    /// CVE-2025-52565: an image whose /dev/console is a symlink (the config
    /// keeps the image's /dev) must not get the pty mounted on its target.
    func testConsoleSymlinkInTheImageIsRefused() throws {
        let rootfs = Harness.work + "/console-rootfs-\(getpid())"
        XCTAssertEqual(Harness.sh("rm -rf \(rootfs) && cp -a \(Harness.rootfs) \(rootfs) && echo untouched > \(rootfs)/etc/target && mkdir -p \(rootfs)/dev && ln -sf /etc/target \(rootfs)/dev/console").code, 0)
        defer { _ = Harness.sh("rm -rf \(rootfs)") }
        let sockPath = Harness.work + "/console-cve-\(getpid()).sock"
        let listener = consoleListener(sockPath)
        defer { close(listener); unlink(sockPath) }
        let b = bundle(args: ["cat", "/etc/target"]) { c in
            c[["process", "terminal"]] = .bool(true)
            c[["root", "path"]] = .string(rootfs)
            c[["root", "readonly"]] = .bool(false)
            c[["mounts"]] = .array((c["mounts"]?.arrayValue ?? []).filter { $0["destination"] != .string("/dev") })
        }
        let r = b.hako("create", ["--console-socket", sockPath])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("/dev/console is a symlink: refusing to mount the terminal on it"), r.err)
        XCTAssertEqual(try String(contentsOfFile: rootfs + "/etc/target", encoding: .utf8), "untouched\n")
        XCTAssertEqual(b.hako("state").code, 1, "nothing is left")
    }

    /// create always detaches: the terminal must go to a console socket
    /// (runc's rule and words). `run` in the foreground relays it instead
    /// (Tests/terminal/foreground.bats, in a real pty).
    func testTerminalWithoutConsoleSocketIsAnErrorForCreate() {
        let b = bundle(args: ["true"]) { $0[["process", "terminal"]] = .bool(true) }
        let r = b.hako("create")
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("config.json: process.terminal: cannot allocate tty if hako will detach without setting console socket"), r.err)
        XCTAssertEqual(b.hako("state").code, 1, "nothing is left")
    }
}
