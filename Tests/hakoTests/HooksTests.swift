// The six hooks, in runtime.md's order, each given the state on stdin.
import Foundation
import HakoRuntime
import XCTest

final class HooksTests: ContainerTestCase {
    func testHooksRunInOrderWithState() throws {
        let logDir = Harness.work + "/hooks-\(getpid())"
        try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: logDir) }
        let log = logDir + "/log"
        func hook(_ name: String, _ file: String = log) -> JSON {
            // Each hook records its name and the status it was told.
            .object([("path", .string("/bin/sh")),
                     ("args", .array(["sh", "-c", "read s; echo \"\(name) $(echo \"$s\" | grep -o '\"status\":\"[a-z]*\"')\" >> \(file)"].map { .string($0) }))])
        }
        let b = bundle(args: ["sh", "-c", "echo program >> /hooklog/log"]) { c in
            guard case var .array(m)? = c["mounts"] else { return }
            m.append(.object([("destination", .string("/hooklog")), ("type", .string("bind")), ("source", .string(logDir)),
                              ("options", .array(["bind", "rw"].map { .string($0) }))]))
            c.set("mounts", .array(m))
            c.set("hooks", .object([
                ("prestart", .array([hook("prestart")])), ("createRuntime", .array([hook("createRuntime")])),
                ("createContainer", .array([hook("createContainer")])),
                ("startContainer", .array([hook("startContainer", "/hooklog/log")])),
                ("poststart", .array([hook("poststart")])), ("poststop", .array([hook("poststop")])),
            ]))
        }
        var r = b.hako("create")
        XCTAssertEqual(r.code, 0, r.err)
        r = b.hako("start")
        XCTAssertEqual(r.code, 0, r.err)
        for _ in 0..<300 where !b.hako("state").out.contains("stopped") { usleep(10_000) }
        r = b.hako("delete")
        XCTAssertEqual(r.code, 0, r.err)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first(where: { $0.hasPrefix("poststart") }), "poststart \"status\":\"running\"")
        // poststart may race with the program itself; everything else is strictly ordered.
        XCTAssertEqual(lines.filter { !$0.hasPrefix("poststart") }, [
            "prestart \"status\":\"created\"", "createRuntime \"status\":\"creating\"",
            "createContainer \"status\":\"creating\"", "startContainer \"status\":\"created\"",
            "program", "poststop \"status\":\"stopped\"",
        ])
    }
}
