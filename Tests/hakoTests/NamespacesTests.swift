// New namespaces, joined namespaces, hostname and domainname.
import Foundation
import HakoRuntime
import XCTest

final class NamespacesTests: ContainerTestCase {
    func link(_ ns: String, _ pid: String = "self") -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(ns)")) ?? "?"
    }

    func testEveryConfiguredNamespaceIsNew() {
        let names = ["pid", "net", "ipc", "uts", "mnt", "cgroup"]
        let out = inside(names.map { "readlink /proc/self/ns/\($0)" }.joined(separator: ";")) { c in
            var ns = c[["linux", "namespaces"]]!
            if case var .array(items) = ns { items.append(.object([("type", .string("cgroup"))])); ns = .array(items) }
            c[["linux", "namespaces"]] = ns
        }
        let inner = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(inner.count, names.count)
        for (name, l) in zip(names, inner) { XCTAssertNotEqual(l, link(name), "\(name) namespace must be new") }
        XCTAssertEqual(inside("echo $$"), "1", "the process is pid 1 of its pid namespace")
    }

    func testUnlistedNamespacesAreShared() {
        let out = inside("readlink /proc/self/ns/net") { c in
            c.setNamespaces(["pid", "mount"])
        }
        XCTAssertEqual(out, link("net"))
    }

    func testJoiningANamespaceByPath() throws {
        let a = bundle(args: ["sleep", "100"])
        XCTAssertEqual(a.hako("run", ["--detach"]).code, 0)
        guard case let .number(pid)? = try JSON.parse(a.hako("state").out)["pid"] else { return XCTFail("no pid") }
        let out = inside("readlink /proc/self/ns/net; readlink /proc/self/ns/uts; hostname") { c in
            c[["linux", "namespaces"]] = .array([
                .object([("type", .string("pid"))]), .object([("type", .string("mount"))]),
                .object([("type", .string("network")), ("path", .string("/proc/\(pid)/ns/net"))]),
                .object([("type", .string("uts")), ("path", .string("/proc/\(pid)/ns/uts"))]),
            ])
            c.set("hostname", nil)
        }
        XCTAssertEqual(out, "\(link("net", pid))\n\(link("uts", pid))\nhako")
    }

    func testHostnameAndDomainname() {
        let out = inside("hostname; cat /proc/sys/kernel/domainname") { c in
            c.set("hostname", .string("box"))
            c.set("domainname", .string("example.org"))
        }
        XCTAssertEqual(out, "box\nexample.org")
    }

    func testCgroupIsTheContainersOwn() {
        let b = bundle(args: ["cat", "/proc/self/cgroup"])
        let r = b.run()
        XCTAssertEqual(r.code, 0, r.err)
        // Without a cgroup namespace the full path shows: every hierarchy has it.
        let lines = r.out.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        for l in lines { XCTAssertTrue(l.hasSuffix(":/hako-test/\(b.id)"), String(l)) }
    }

    func userNamespace(_ c: inout JSON) {
        var ns = c[["linux", "namespaces"]]!
        if case var .array(items) = ns { items.append(.object([("type", .string("user"))])); ns = .array(items) }
        c[["linux", "namespaces"]] = ns
        let map = JSON.array([.object([("containerID", .int(0)), ("hostID", .int(100_000)), ("size", .int(65536))])])
        c[["linux", "uidMappings"]] = map
        c[["linux", "gidMappings"]] = map
    }

    func testUserNamespaceWithMappings() {
        // Host ids 100000-165535 appear as 0-65535; what the host's root owns
        // is nobody's inside, and device nodes are bind-mounted from the host.
        let out = inside("cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; id -u; stat -c %u /bin/busybox; echo x > /dev/null && echo null-ok", userNamespace)
        XCTAssertEqual(out, "0 100000 65536\n 0 100000 65536\n0\n65534\nnull-ok")
    }

    func testUserNamespaceCreateAndStart() {
        // exec.fifo, owned by the host's root, must still be usable.
        let b = bundle(args: ["true"], userNamespace)
        let c = b.hako("create")
        XCTAssertEqual(c.code, 0, c.err)
        XCTAssertEqual(b.hako("start").code, 0)
        var stopped = false
        for _ in 0..<200 where !stopped {
            stopped = b.hako("state").out.contains("\"stopped\"")
            if !stopped { usleep(10000) }
        }
        XCTAssertTrue(stopped)
        XCTAssertEqual(b.hako("delete").code, 0)
    }

    func testWithoutAMountNamespaceMountsAreMadeAndRemoved() throws {
        // The container shares hako's mount namespace; its mounts go on a bind
        // of the rootfs (read-only here, as the default spec says), which
        // delete detaches, and the host's root stays writable.
        let b = bundle(args: ["sh", "-c", "test -e /proc/1/status && echo proc-ok; touch /x 2>/dev/null || echo root-ro"]) { c in
            c.setNamespaces(["pid", "ipc", "uts"])
        }
        let r = b.run()
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(r.out, "proc-ok\nroot-ro\n")
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        XCTAssertFalse(mountinfo.contains(" \(Harness.rootfs)"), "no mount is left on the rootfs")
        XCTAssertEqual(access("/tmp", W_OK), 0)
        let probe = "/tmp/hako-rw-probe-\(getpid())"
        XCTAssertTrue(FileManager.default.createFile(atPath: probe, contents: nil), "the host's root is still writable")
        try? FileManager.default.removeItem(atPath: probe)
    }
}
