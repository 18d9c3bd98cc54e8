import XCTest
@testable import HakoRuntime

/// linux.sysctl: accepted only inside a namespace the container has for
/// itself (runc's rules); refused with its path otherwise.
final class SysctlTests: XCTestCase {
    func spec(_ sysctl: [String: String], _ edit: (inout JSON) -> Void = { _ in }) throws -> Spec {
        var j = Spec.defaultConfig(rootless: false) // pid, network, ipc, uts, mount
        j[["linux", "sysctl"]] = .object(sysctl.map { ($0.key, .string($0.value)) })
        edit(&j)
        return try Spec.parse(Array(j.serialized().utf8))
    }

    func reason(_ sysctl: [String: String], _ edit: (inout JSON) -> Void = { _ in }) -> String {
        do { try Sysctl.validate(try spec(sysctl, edit)); return "accepted" } catch { return "\(error)" }
    }

    func without(_ type: String) -> (inout JSON) -> Void {
        { j in
            guard case let .array(ns)? = j[["linux", "namespaces"]] else { return }
            j[["linux", "namespaces"]] = .array(ns.filter { $0["type"] != .string(type) })
        }
    }

    func joining(_ type: String, _ path: String) -> (inout JSON) -> Void {
        { j in
            guard case let .array(ns)? = j[["linux", "namespaces"]] else { return }
            j[["linux", "namespaces"]] = .array(ns.map { n in
                var m = n
                if n["type"] == .string(type) { m.set("path", .string(path)) }
                return m
            })
        }
    }

    func testKeysAreReadAsSysctl8ReadsThem() {
        XCTAssertEqual(Sysctl.components("net.ipv4.ip_forward"), ["net", "ipv4", "ip_forward"])
        XCTAssertEqual(Sysctl.components("net/ipv4/conf/eth0.100/rp_filter"), ["net", "ipv4", "conf", "eth0.100", "rp_filter"])
        XCTAssertEqual(Sysctl.components("net.ipv4.conf.eth0/100.rp_filter"), ["net", "ipv4", "conf", "eth0.100", "rp_filter"])
        XCTAssertEqual(Sysctl.file(Sysctl.components("net.ipv4.conf.eth0/100.rp_filter")!), "/proc/sys/net/ipv4/conf/eth0.100/rp_filter")
        for bad in ["net/../kernel/printk", "net..ipv4", "net.ipv4.", "", "net.//.x", "net/./ipv4"] {
            XCTAssertNil(Sysctl.components(bad), bad)
        }
    }

    func testNamespacedKeysWithTheirOwnNamespace() {
        for key in ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
                    "kernel.shmmni", "kernel.shm_rmid_forced", "fs.mqueue.queues_max", "net.ipv4.ip_forward",
                    "net/ipv4/ping_group_range", "kernel.domainname"] {
            XCTAssertEqual(reason([key: "1"]), "accepted", key)
        }
        XCTAssertEqual(reason(["kernel.hostname": "h"]),
                       "config.json: linux.sysctl.kernel.hostname: conflicts with the hostname field: set one of them")
        XCTAssertEqual(reason(["kernel.hostname": "h"]) { $0.set("hostname", nil) }, "accepted")
        XCTAssertEqual(reason(["kernel.hostname": "h"], without("uts")),
                       "config.json: linux.sysctl.kernel.hostname: needs a new uts namespace in linux.namespaces; without one it is the host's")
    }

    func testEverythingElseIsRefused() {
        for key in ["kernel.printk_ratelimit_burst", "kernel.pid_max", "vm.overcommit_memory", "fs.file-max", "fs.mqueue",
                    "kernel/printk", "net", "kernel.msgmax.x", "user.max_user_namespaces"] {
            XCTAssertTrue(reason([key: "1"]).hasPrefix("config.json: linux.sysctl.\(key): is not namespaced"), "\(key): \(reason([key: "1"]))")
        }
        XCTAssertEqual(reason(["net/../kernel/printk": "1"]),
                       #"config.json: linux.sysctl.net/../kernel/printk: is not a sysctl name: it has an empty, "." or ".." component"#)
    }

    func testTheHostsNamespaceIsRefused() {
        XCTAssertEqual(reason(["net.ipv4.ip_forward": "1"], without("network")),
                       "config.json: linux.sysctl.net.ipv4.ip_forward: needs a new network namespace in linux.namespaces; without one it is the host's")
        XCTAssertEqual(reason(["fs.mqueue.msg_max": "1"], without("ipc")),
                       "config.json: linux.sysctl.fs.mqueue.msg_max: needs a new ipc namespace in linux.namespaces; without one it is the host's")
        XCTAssertEqual(reason(["kernel.domainname": "d"], without("uts")),
                       "config.json: linux.sysctl.kernel.domainname: needs a new uts namespace in linux.namespaces; without one it is the host's")
        XCTAssertEqual(reason(["net.ipv4.ip_forward": "1"], joining("network", "/proc/self/ns/net")),
                       "config.json: linux.sysctl.net.ipv4.ip_forward: linux.namespaces[1].path /proc/self/ns/net is the host's own network namespace")
        XCTAssertEqual(reason(["kernel.sem": "1"], joining("ipc", "/proc/self/ns/ipc")),
                       "config.json: linux.sysctl.kernel.sem: linux.namespaces[2].path /proc/self/ns/ipc is the host's own ipc namespace")
    }
}
