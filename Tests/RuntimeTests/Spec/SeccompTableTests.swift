import XCTest
@testable import HakoRuntime

/// One table of seccomp names: what the spec model accepts is exactly what
/// the compiler and the installer can map, and nothing maps to ALLOW or 0
/// by default.
final class SeccompTableTests: XCTestCase {
    func profile(_ edit: (inout JSON) -> Void) -> String {
        var j = Spec.defaultConfig(rootless: false)
        var s = JSON.object([("defaultAction", .string("SCMP_ACT_ERRNO"))])
        edit(&s)
        j[["linux", "seccomp"]] = s
        do { _ = try Spec.parse(Array(j.serialized().utf8)); return "accepted" } catch { return "\(error)" }
    }

    func testUnknownNamesAreRefusedWithTheirPath() {
        XCTAssertEqual(profile { $0.set("defaultAction", .string("SCMP_ACT_NOPE")) },
                       #"config.json: linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_NOPE""#)
        XCTAssertEqual(profile { $0.set("flags", .array([.string("SECCOMP_FILTER_FLAG_LOG"), .string("SECCOMP_FILTER_FLAG_X")])) },
                       #"config.json: linux.seccomp.flags[1]: unknown seccomp flag "SECCOMP_FILTER_FLAG_X""#)
        XCTAssertEqual(profile { $0.set("architectures", .array([.string("SCMP_ARCH_Z80")])) },
                       #"config.json: linux.seccomp.architectures[0]: unknown seccomp architecture "SCMP_ARCH_Z80""#)
        XCTAssertEqual(profile { $0.set("architectures", .array([.string("x86_64")])) },
                       #"config.json: linux.seccomp.architectures[0]: unknown seccomp architecture "x86_64""#)
        XCTAssertEqual(profile {
            $0.set("syscalls", .array([.object([("names", .array([.string("chmod")])), ("action", .string("SCMP_ACT_ALLOW")),
                                                ("args", .array([.object([("index", .int(1)), ("value", .int(1)), ("op", .string("SCMP_CMP_ABOUT"))])]))])]))
        }, #"config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_ABOUT""#)
        XCTAssertEqual(profile {
            $0.set("syscalls", .array([.object([("names", .array([.string("chmod")])), ("action", .string("ALLOW"))])]))
        }, #"config.json: linux.seccomp.syscalls[0].action: unknown seccomp action "ALLOW""#)
    }

    /// The compiler takes its values from the same table and fails closed
    /// for a name outside it, even one that bypassed the parser.
    func testTheCompilerFailsClosed() throws {
        XCTAssertNil(Seccomp.returnValue("SCMP_ACT_NOPE", errno: nil))
        XCTAssertThrowsError(try SeccompCompiler.action("SCMP_ACT_NOPE", errno: nil, path: "linux.seccomp.defaultAction")) { e in
            XCTAssertEqual("\(e)", #"config.json: linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_NOPE""#)
        }
        XCTAssertEqual(Seccomp.returnValue("SCMP_ACT_ERRNO", errno: nil), 0x0005_0001)
        XCTAssertEqual(Seccomp.returnValue("SCMP_ACT_ERRNO", errno: 38), 0x0005_0026)
        XCTAssertEqual(Seccomp.returnValue("SCMP_ACT_ALLOW", errno: 38), 0x7FFF_0000)
        var s = try Seccomp(Field(JSON.parse(#"{"defaultAction": "SCMP_ACT_ALLOW"}"#), path: "linux.seccomp"))
        s.architectures = ["SCMP_ARCH_Z80"]
        XCTAssertThrowsError(try SeccompCompiler.compile(s, logger: Logger(path: nil, format: .text, debug: false))) { e in
            XCTAssertEqual("\(e)", #"config.json: linux.seccomp.architectures[0]: unknown seccomp architecture "SCMP_ARCH_Z80""#)
        }
        s.architectures = []
        s.syscalls = [.init(names: ["chmod"], action: "SCMP_ACT_ERRNO", errnoRet: nil, args: [.init(index: 0, value: 0, valueTwo: 0, op: "SCMP_CMP_ABOUT")])]
        XCTAssertThrowsError(try SeccompCompiler.compile(s, logger: Logger(path: nil, format: .text, debug: false))) { e in
            XCTAssertEqual("\(e)", #"config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_ABOUT""#)
        }
    }

    /// features lists the table, so it cannot promise what hako cannot map.
    func testFeaturesListTheTable() {
        let seccomp = Features.json(version: "test")["linux"]?["seccomp"]
        XCTAssertEqual(seccomp?["actions"], .array(Seccomp.actions.keys.sorted().map { .string($0) }))
        XCTAssertEqual(seccomp?["archs"], .array(Seccomp.architectureNames.keys.sorted().map { .string($0) }))
        XCTAssertEqual(seccomp?["knownFlags"], .array(Seccomp.flags.keys.sorted().map { .string($0) }))
    }
}
