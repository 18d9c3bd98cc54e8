// The lifecycle as runc's command line exposes it: create, start, state,
// kill, delete, run, list.
import Foundation
import HakoRuntime
import XCTest

final class ContainerTests: ContainerTestCase {
    func state(_ b: Bundle) throws -> JSON {
        let r = b.hako("state")
        XCTAssertEqual(r.code, 0, r.err)
        return try JSON.parse(r.out)
    }

    func testRunPrintsAndExitsWithTheContainersStatus() {
        let b = bundle(args: ["echo", "hi"])
        let r = b.run()
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(r.out, "hi\n")
        XCTAssertEqual(bundle(args: ["sh", "-c", "exit 3"]).run().code, 3)
        // A pid namespace's init ignores its own SIGKILL, so share the host's.
        let killed = bundle(args: ["sh", "-c", "kill -9 $$"]) { c in
            c.dropNamespace("pid")
        }
        XCTAssertEqual(killed.run().code, 137, "128 + SIGKILL")
    }

    func testRunRemovesTheContainerAfterwards() {
        let b = bundle(args: ["true"])
        XCTAssertEqual(b.run().code, 0)
        XCTAssertEqual(Leftovers.snapshot(id: b.id).cgroups, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: Harness.stateRoot + "/" + b.id))
    }

    func testCreateStartStateKillDelete() throws {
        let b = bundle(args: ["sleep", "100"])
        let pidFile = b.dir + "/pid"
        var r = b.hako("create", ["--pid-file", pidFile])
        XCTAssertEqual(r.code, 0, r.err)

        var s = try state(b)
        // runc's fields, in runc's order.
        guard case let .object(members) = s else { return XCTFail("state is not an object") }
        XCTAssertEqual(members.map(\.0), ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"])
        XCTAssertEqual(s["status"], .string("created"))
        XCTAssertEqual(s["id"], .string(b.id))
        XCTAssertEqual(s["bundle"], .string(b.dir))
        XCTAssertEqual(s["rootfs"], .string(Harness.rootfs))
        XCTAssertEqual(s["owner"], .string("root"))
        guard case let .number(pid)? = s["pid"] else { return XCTFail("no pid") }
        XCTAssertEqual(try String(contentsOfFile: pidFile, encoding: .utf8), pid, "pid file holds the init's pid")
        // The init waits in the container's cgroup for start.
        for dir in b.cgroupDirs {
            XCTAssertTrue(try String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8).contains(pid), dir)
        }
        // Not running yet: the user program is not exec'd.
        XCTAssertFalse(try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8).contains("sleep"))

        r = b.hako("start")
        XCTAssertEqual(r.code, 0, r.err)
        s = try state(b)
        XCTAssertEqual(s["status"], .string("running"))
        XCTAssertTrue(try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8).hasPrefix("sleep"))
        XCTAssertNotEqual(b.hako("start").code, 0, "a running container cannot be started again")

        r = b.hako("delete")
        XCTAssertEqual(r.code, 1, "deleting a running container without --force is an error")
        XCTAssertTrue(r.err.contains("not stopped"), r.err)

        r = b.hako("kill", ["KILL"])
        XCTAssertEqual(r.code, 0, r.err)
        waitFor { (try? self.state(b)["status"]) == .string("stopped") }
        XCTAssertEqual(try state(b)["status"], .string("stopped"))
        XCTAssertEqual(try state(b)["pid"], .number("0"))
        XCTAssertEqual(b.hako("kill", ["KILL"]).code, 1, "a stopped container cannot be signalled")

        r = b.hako("delete")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(b.hako("state").code, 1)
        XCTAssertEqual(Leftovers.snapshot(id: b.id).cgroups, [])
    }

    func testKillAcceptsNamesNumbersAndAll() {
        for sig in ["SIGKILL", "KILL", "9"] {
            let b = bundle(args: ["sleep", "100"])
            XCTAssertEqual(b.hako("run", ["--detach"]).code, 0)
            var r = b.hako("kill", [sig])
            XCTAssertEqual(r.code, 0, r.err)
            waitFor { !b.hako("state").out.contains("running") }
            XCTAssertTrue(b.hako("state").out.contains("\"stopped\""), sig)
            r = b.hako("delete")
            XCTAssertEqual(r.code, 0, r.err)
        }
        // busybox sh execs a last command in place; `wait` keeps sh as a third process.
        let b = bundle(args: ["sh", "-c", "sleep 100 & sleep 100 & wait"])
        XCTAssertEqual(b.hako("run", ["--detach"]).code, 0)
        waitFor { (Int(self.procs(b).count) ) >= 3 }
        XCTAssertEqual(procs(b).count, 3)
        XCTAssertEqual(b.hako("kill", ["--all", "KILL"]).code, 0)
        waitFor { self.procs(b).isEmpty }
        XCTAssertEqual(procs(b), [])
        XCTAssertNotEqual(b.hako("kill", ["NOSUCHSIGNAL"]).code, 0)
    }

    func procs(_ b: Bundle) -> [Substring] {
        ((try? String(contentsOfFile: b.cgroupDirs[0] + "/cgroup.procs", encoding: .utf8)) ?? "").split(separator: "\n")
    }

    func testDeleteForceRemovesCreatedAndRunningContainers() {
        for start in [false, true] {
            let b = bundle(args: ["sleep", "100"])
            XCTAssertEqual(b.hako("create").code, 0)
            if start { XCTAssertEqual(b.hako("start").code, 0) }
            XCTAssertEqual(b.hako("delete").code, 1)
            let r = b.hako("delete", ["--force"])
            XCTAssertEqual(r.code, 0, r.err)
            XCTAssertEqual(Leftovers.snapshot(id: b.id).cgroups, [])
            XCTAssertEqual(Leftovers.snapshot(id: b.id).processes, [])
        }
        // containerd's shim deletes twice; the second must succeed.
        XCTAssertEqual(Harness.hako(["delete", "--force", "never-existed"]).code, 0)
        XCTAssertEqual(Harness.hako(["delete", "never-existed"]).code, 1)
    }

    func testListShowsContainers() throws {
        let b = bundle(args: ["sleep", "100"])
        XCTAssertEqual(b.hako("create").code, 0)
        let table = Harness.hako(["list"]).out
        XCTAssertTrue(table.hasPrefix("ID "), table)
        XCTAssertTrue(table.contains(b.id) && table.contains("created"), table)
        XCTAssertTrue(Harness.hako(["list", "-q"]).out.split(separator: "\n").contains(Substring(b.id)))
        let json = try JSON.parse(Harness.hako(["list", "--format", "json"]).out)
        guard case let .array(items) = json else { return XCTFail("list json is not an array") }
        XCTAssertTrue(items.contains { $0["id"] == .string(b.id) && $0["status"] == .string("created") })
    }

    func testAnnotationsAppearInState() throws {
        let b = bundle(args: ["sleep", "100"]) { $0.set("annotations", .object([("org.example.key", .string("value"))])) }
        XCTAssertEqual(b.hako("create").code, 0)
        XCTAssertEqual(try state(b)["annotations"], .object([("org.example.key", .string("value"))]))
    }

    func testStartWithoutProcessFails() throws {
        let b = bundle(args: ["true"]) { $0.set("process", nil) }
        let r = b.hako("create")
        XCTAssertEqual(r.code, 0, "create without process succeeds: \(r.err)")
        XCTAssertEqual(try state(b)["status"], .string("created"))
        XCTAssertEqual(b.hako("start").code, 1, "start without process must fail")
    }

    func testPreservedAndSocketActivationDescriptors() {
        let b = bundle(args: ["sh", "-c", "echo via-fd3 >&3; echo LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID"])
        let out = b.dir + "/fd3"
        var r = Harness.sh("exec 3>\(out); \(Harness.hako) --root \(Harness.stateRoot) run --preserve-fds 1 --bundle \(b.dir) \(b.id)")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "via-fd3\n")
        let b2 = bundle(args: ["sh", "-c", "echo LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID; ls /proc/self/fd"])
        r = Harness.sh("exec 3>/dev/null; LISTEN_FDS=1 \(Harness.hako) --root \(Harness.stateRoot) run --bundle \(b2.dir) \(b2.id)")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("LISTEN_FDS=1 LISTEN_PID=1"), r.out)
        // Nothing else of the runtime's leaks in: only 0, 1, 2, 3 and ls's own directory fd.
        XCTAssertEqual(r.out.split(separator: "\n").dropFirst().sorted(), ["0", "1", "2", "3", "4"])
    }

    func waitFor(_ cond: @escaping () -> Bool) {
        for _ in 0..<500 {
            if cond() { return }
            usleep(10_000)
        }
    }
}
