// `hako check`: a good bundle passes; a bad one gets every problem listed
// at once, each with its JSON path, and the same verdict create reaches.
import Foundation
import HakoRuntime
import XCTest

final class CheckTests: ContainerTestCase {
    func check(_ b: Bundle) -> Result { Harness.hako(["check", "--bundle", b.dir]) }

    func testAGoodBundlePasses() {
        let b = bundle(args: ["sh", "-c", "true"])
        let r = check(b)
        XCTAssertEqual(r.code, 0, r.out + r.err)
        XCTAssertTrue(r.out.contains("no problems found"), r.out)
        XCTAssertEqual(b.run().code, 0)
    }

    func testEveryProblemIsListedWithItsPath() {
        let b = bundle(args: ["no-such-program"]) { c in
            c[["process", "capabilities", "bounding"]] = .array([.string("CAP_CHOWN"), .string("CAP_NO_SUCH")])
            c[["process", "rlimits"]] = .array([
                .object([("type", .string("RLIMIT_NOFILE")), ("soft", .int(1 << 30)), ("hard", .int(1 << 30))]),
                .object([("type", .string("RLIMIT_BOGUS")), ("soft", .int(1)), ("hard", .int(1))]),
            ])
            c.set("hostname", .int(7))
            c[["hooks", "prestart"]] = .array([.object([("path", .string("relative/hook"))]),
                                               .object([("path", .string("/no/such/hook"))])])
            guard case var .array(m)? = c["mounts"], case var .array(ns)? = c[["linux", "namespaces"]] else { return }
            m.append(.object([("destination", .string("/data")), ("type", .string("bind")), ("source", .string("/no/such/dir")),
                              ("options", .array([.string("bind")]))]))
            c.set("mounts", .array(m))
            ns.append(.object([("type", .string("bogus"))]))
            ns.append(.object([("type", .string("uts"))]))
            c[["linux", "namespaces"]] = .array(ns)
            c[["linux", "seccomp"]] = .object([("defaultAction", .string("SCMP_ACT_BOGUS"))])
        }
        let r = check(b)
        XCTAssertEqual(r.code, 1)
        let nsCount = Spec.defaultConfig(rootless: false)[["linux", "namespaces"]].flatMap { if case let .array(a) = $0 { return a.count } else { return nil } } ?? 0
        let mountCount = Spec.defaultConfig(rootless: false)["mounts"].flatMap { if case let .array(a) = $0 { return a.count } else { return nil } } ?? 0
        // The rlimit problem is the host's: only a hako whose hard limit is
        // below 2^30 and that lacks CAP_SYS_RESOURCE to raise it reports it.
        // hako inherits both from this process.
        var mine = rlimit()
        let rlimitProblem = getrlimit(__rlimit_resource_t(UInt32(RLIMIT_NOFILE.rawValue)), &mine) == 0
            && UInt64(mine.rlim_max) < 1 << 30 && !Self.hasEffectiveCapability(24 /* CAP_SYS_RESOURCE */)
        var expectedProblems = [
            #"process.capabilities.bounding[1]: unknown capability "CAP_NO_SUCH""#,
            #"process.rlimits[1].type: unknown rlimit "RLIMIT_BOGUS""#,
            "hostname: must be a string, not number",
            #"hooks.prestart[0].path: must be an absolute path"#,
            #"linux.namespaces[\#(nsCount)].type: unknown namespace type "bogus""#,
            #"linux.namespaces[\#(nsCount + 1)].type: duplicate namespace "uts""#,
            #"linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_BOGUS""#,
            // Host problems, found after the spec ones; indices are the config's own.
            #"process.args[0]: exec: "no-such-program": executable file not found in $PATH"#,
            "mounts[\(mountCount)].source: /no/such/dir does not exist (host)",
            "hooks.prestart[1].path: /no/such/hook is not an executable file",
        ]
        let rlimitLine = "process.rlimits[0].hard: 1073741824 is above this host's hard limit"
        if rlimitProblem { expectedProblems.append(rlimitLine) }
        for expected in expectedProblems {
            XCTAssertTrue(r.out.contains("config.json: " + expected), "missing: \(expected)\n\(r.out)")
        }
        if !rlimitProblem {
            XCTAssertFalse(r.out.contains(rlimitLine), "hako may raise this limit (CAP_SYS_RESOURCE or a high hard limit)\n\(r.out)")
        }
        XCTAssertTrue(r.out.hasSuffix("\(expectedProblems.count) problems\n"), r.out)
        // create stops at the first of them, and leaves nothing.
        XCTAssertEqual(b.run().code, 1)
    }

    /// Whether this process holds `capability` in its effective set
    /// (CapEff of /proc/self/status, a hex mask).
    static func hasEffectiveCapability(_ capability: Int) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << UInt64(capability)) != 0
    }

    func testBrokenJSONIsOneProblem() throws {
        let b = bundle(args: ["true"])
        try "{\"ociVersion\": ".write(toFile: b.dir + "/config.json", atomically: true, encoding: .utf8)
        let r = check(b)
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.out.hasPrefix("config.json: invalid JSON"), r.out)
    }

    func testAControllerThisLayoutLacks() throws {
        // net_cls is not mounted on these hosts (v1 hybrid) nor part of cgroup v2.
        guard !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/net_cls") else {
            throw XCTSkip("this host mounts net_cls; the check has nothing to find")
        }
        let b = bundle(args: ["true"]) { c in
            c[["linux", "resources", "network"]] = .object([("classID", .int(42))])
        }
        let r = check(b)
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.out.contains("config.json: linux.resources.network.classID: the net_cls cgroup controller is not available"), r.out)
        XCTAssertEqual(b.run().code, 1)
    }
}
