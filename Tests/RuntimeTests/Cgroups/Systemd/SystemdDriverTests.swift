import XCTest
@testable import HakoRuntime

/// The systemd driver's parts that need no systemd: where it puts the
/// container, what it refuses, and what it leaves in the records for the
/// commands that come later without --systemd-cgroup.
final class SystemdDriverTests: XCTestCase {
    func testTheScopeIsInItsSliceOnAUnifiedHost() throws {
        let d = try SystemdCgroup(cgroupsPath: "system.slice:hako-test:c", id: "c", rootless: false,
                                  layout: .unified(root: "/sys/fs/cgroup"))
        XCTAssertEqual(d.name, "systemd")
        XCTAssertEqual(d.unit, "hako-test-c.scope")
        XCTAssertEqual(d.path, "/system.slice/hako-test-c.scope")
        XCTAssertEqual(d.directories, ["/sys/fs/cgroup/system.slice/hako-test-c.scope"])
        XCTAssertEqual(d.plannedDirectories(), d.directories, "delete of a half-made container kills in the scope")
        XCTAssertTrue(d.startsWithPid)
        XCTAssertNil(d.cloneTarget, "the scope does not exist before the init")
        XCTAssertEqual(try d.create(), [])
    }

    func testV1AndHybridHostsAreRefusedNamingTheFlag() {
        for layout in [CgroupLayout.legacy(hierarchies: ["/sys/fs/cgroup/pids"]),
                       .hybrid(hierarchies: ["/sys/fs/cgroup/pids"], unified: "/sys/fs/cgroup/unified")] {
            XCTAssertThrowsError(try SystemdCgroup(cgroupsPath: "system.slice:a:b", id: "b", rootless: false, layout: layout)) {
                XCTAssertTrue("\($0)".contains("--systemd-cgroup"), "\($0)")
            }
        }
    }

    func testACgroupsPathWithoutColonsNamesTheField() {
        XCTAssertThrowsError(try SystemdCgroup(cgroupsPath: "/hako/x", id: "x", rootless: false, layout: .unified(root: "/sys/fs/cgroup"))) {
            XCTAssertTrue("\($0)".contains("linux.cgroupsPath"), "\($0)")
        }
    }

    func testTheCgroupfsDriverStillWritesBeforeTheInit() {
        XCTAssertFalse(CgroupDrivers.forCreate(cgroupsPath: "/x", id: "x").startsWithPid)
    }

    func testTheUnitSurvivesTheIntentRecordAndStateJSON() throws {
        var intent = CreateIntent(id: "c")
        intent.cgroupPath = "/system.slice/hako-test-c.scope"
        intent.cgroups = ["/sys/fs/cgroup/system.slice/hako-test-c.scope"]
        intent.systemdUnit = "hako-test-c.scope"
        let read = try XCTUnwrap(CreateIntent(parsing: intent.serialized(), id: "c"))
        XCTAssertEqual(read.systemdUnit, "hako-test-c.scope")
        let standIn = read.standIn()
        XCTAssertEqual(standIn.cgroup.name, "systemd", "delete --force of a half-made container stops the unit")
        let stored = try ContainerState(stored: Field(standIn.stored()))
        XCTAssertEqual(stored.systemdUnit, "hako-test-c.scope")
        XCTAssertEqual(stored.cgroup.name, "systemd")
        XCTAssertEqual(stored.cgroup.directories, intent.cgroups)
        var plain = standIn
        plain.systemdUnit = nil
        XCTAssertEqual(try ContainerState(stored: Field(plain.stored())).cgroup.name, "cgroupfs")
    }

    /// What a daemon-reload would otherwise reset goes to systemd as the
    /// unit's properties: a negative limit is systemd's infinity, 0 is unset.
    func testMemoryAndPidsLimitsBecomeUnitProperties() throws {
        let r = try Resources(Field(.object([("memory", .object([("limit", .int(67108864))])), ("pids", .object([("limit", .int(-1))]))])))
        let limits = try UnitProperties.of(r, prefix: "")
        XCTAssertEqual(limits, [
            .structure([.string("MemoryMax"), .variant(.uint64(67108864))]),
            .structure([.string("TasksMax"), .variant(.uint64(UInt64.max))]),
        ])
        let m = SystemdManager.setUnitProperties("u.scope", limits)
        XCTAssertEqual(m.member, "SetUnitProperties")
        XCTAssertEqual(m.body.first, .string("u.scope"))
        XCTAssertEqual(m.body[1], .boolean(true), "runtime only")
    }

    /// Annotations come after hako's own properties (they may change them,
    /// as runc's do) and before linux.resources' limits, which win.
    func testAnnotationsGoBetweenHakosPropertiesAndTheLimits() throws {
        let r = try Resources(Field(.object([("memory", .object([("limit", .int(67108864))]))])))
        let d = try SystemdCgroup(cgroupsPath: "system.slice:hako-test:c", id: "c", rootless: false, layout: .unified(root: "/sys/fs/cgroup"),
                                  resources: r, annotations: [("org.systemd.property.MemoryMax", "uint64 1"), ("org.systemd.property.CollectMode", "'inactive-or-failed'")])
        var scope = SystemdManager.Scope(unit: d.unit, slice: d.slice, description: "x", pids: [1])
        scope.annotated = d.annotated
        scope.limits = d.limits
        let names = scope.properties.compactMap { p -> String? in
            guard case .structure(let f) = p, case .string(let n) = f[0] else { return nil }
            return n
        }
        XCTAssertEqual(Array(names.suffix(3)), ["MemoryMax", "CollectMode", "MemoryMax"])
        XCTAssertEqual(scope.properties.last, .structure([.string("MemoryMax"), .variant(.uint64(67108864))]))
    }

    /// A resource or annotation systemd cannot be given is refused when the
    /// driver is made, before any unit or cgroup is.
    func testBadValuesAreRefusedBeforeAnythingIsMade() throws {
        let r = try Resources(Field(.object([("cpu", .object([("cpus", .string("3-1"))]))])))
        XCTAssertThrowsError(try SystemdCgroup(cgroupsPath: "system.slice:a:b", id: "b", rootless: false, layout: .unified(root: "/sys/fs/cgroup"), resources: r)) {
            XCTAssertTrue("\($0)".contains("linux.resources.cpu.cpus"), "\($0)")
        }
        XCTAssertThrowsError(try SystemdCgroup(cgroupsPath: "system.slice:a:b", id: "b", rootless: false, layout: .unified(root: "/sys/fs/cgroup"),
                                               annotations: [("org.systemd.property.TimeoutStopSec", "'1min'")])) {
            XCTAssertTrue("\($0)".contains("annotations.org.systemd.property.TimeoutStopSec"), "\($0)")
        }
    }
}
