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
}
