import Glibc
import XCTest
@testable import HakoRuntime

/// The cgroup driver's pure parts, with temporary directories standing in
/// for cgroups: no root, no cgroup is touched.
final class DriverTests: XCTestCase {
    var tmp = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/hako-driver-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        tmp = String(cString: p)
    }

    override func tearDown() {
        _ = Cgroup.removeTreeForTests(tmp)
    }

    func write(_ path: String, _ text: String) throws { try Files.write(path, text, flags: O_WRONLY | O_CREAT | O_TRUNC) }
    func mkdir(_ path: String) { XCTAssertEqual(Glibc.mkdir(path, 0o755), 0, path) }

    func testNewContainersGetTheCgroupfsDriverAtTheResolvedPath() {
        let d = CgroupDrivers.forCreate(cgroupsPath: "rel/y", id: "x")
        XCTAssertEqual(d.name, "cgroupfs")
        XCTAssertEqual(d.path, "/hako/rel/y")
        XCTAssertEqual(CgroupDrivers.forCreate(cgroupsPath: nil, id: "x").path, "/hako/x")
        XCTAssertEqual(CgroupDrivers.forCreate(cgroupsPath: "/a/../b", id: "x").path, "/b")
    }

    func testARecordedCgroupIsWhatWasRecorded() {
        let d = CgroupDrivers.recorded(path: "/hako/x", directories: [tmp + "/a", tmp + "/b"], freezer: tmp + "/a/freezer.state")
        XCTAssertEqual(d.path, "/hako/x")
        XCTAssertEqual(d.directories, [tmp + "/a", tmp + "/b"])
        XCTAssertEqual(d.freezerFile, tmp + "/a/freezer.state")
        XCTAssertTrue(d.exists)
        let noFreezer = CgroupDrivers.recorded(path: "/hako/x", directories: [tmp + "/a"], freezer: nil)
        XCTAssertNil(noFreezer.freezerFile, "a recorded cgroup without a freezer does not look for one")
        XCTAssertThrowsError(try noFreezer.freeze(true))
    }

    func testNoRecordedDirectoriesIsNoCgroup() {
        let d = CgroupDrivers.recorded(path: "/hako/x", directories: [], freezer: nil)
        XCTAssertFalse(d.exists)
        XCTAssertEqual(d.layout, .none, "not the host's layout: the container has no cgroup")
        XCTAssertNil(d.cloneTarget)
        XCTAssertNil(d.freezerState)
        XCTAssertEqual(d.pids(), [])
        XCTAssertEqual(d.removeIfEmpty(), [])
    }

    func testFreezerStateIsReadFromTheFile() throws {
        let v1 = tmp + "/freezer.state"
        let d = CgroupDrivers.recorded(path: "/x", directories: [tmp], freezer: v1)
        XCTAssertNil(d.freezerState, "no file, no state")
        for (text, want) in [("FROZEN\n", FreezerState.frozen), ("FREEZING\n", .freezing), ("THAWED\n", .thawed)] {
            try write(v1, text)
            XCTAssertEqual(d.freezerState, want, text)
        }
        let v2 = tmp + "/cgroup.freeze"
        let d2 = CgroupDrivers.recorded(path: "/x", directories: [tmp], freezer: v2)
        try write(v2, "1\n")
        XCTAssertEqual(d2.freezerState, .frozen)
        try write(v2, "0\n")
        XCTAssertEqual(d2.freezerState, .thawed)
        d2.thaw()
        XCTAssertEqual(Files.readText(v2), "0")
        d.thaw()
        XCTAssertEqual(Files.readText(v1), "THAWED")
    }

    func testPidsCoverChildCgroupsAndEveryHierarchyOnce() throws {
        mkdir(tmp + "/memory")
        mkdir(tmp + "/memory/child")
        mkdir(tmp + "/pids")
        try write(tmp + "/memory/cgroup.procs", "10\n20\n")
        try write(tmp + "/memory/child/cgroup.procs", "30\n")
        try write(tmp + "/pids/cgroup.procs", "20\n10\n30\n")
        let d = CgroupDrivers.recorded(path: "/x", directories: [tmp + "/memory", tmp + "/pids"], freezer: nil)
        XCTAssertEqual(d.pids().sorted(), [10, 20, 30])
    }

    func testExecTargetsStayBelowTheContainersCgroup() throws {
        let d = CgroupDrivers.recorded(path: "/x", directories: [tmp + "/a", tmp + "/b"], freezer: nil)
        XCTAssertEqual(try d.execTargets([]), [tmp + "/a", tmp + "/b"])
        XCTAssertEqual(try d.execTargets(["sub/../s"]), [tmp + "/a/s", tmp + "/b/s"])
        XCTAssertThrowsError(try d.execTargets(["../escape"]))
        XCTAssertThrowsError(try d.execTargets(["a", "b"]), "only one argument without a controller")
    }

    func testRemoveIfEmptyTakesOnlyWhatIsEmpty() throws {
        mkdir(tmp + "/empty")
        mkdir(tmp + "/busy")
        try write(tmp + "/busy/cgroup.procs", "1\n")
        let d = CgroupDrivers.recorded(path: "/x", directories: [tmp + "/empty", tmp + "/busy", tmp + "/missing"], freezer: nil)
        XCTAssertEqual(d.removeIfEmpty(), [tmp + "/empty", tmp + "/missing"])
        XCTAssertFalse(Files.exists(tmp + "/empty"))
        XCTAssertTrue(Files.exists(tmp + "/busy"))
    }

    func testDestroyRemovesChildCgroupsAndTheParentsCreateMade() throws {
        mkdir(tmp + "/parent")
        mkdir(tmp + "/parent/c")
        mkdir(tmp + "/parent/c/nested")
        mkdir(tmp + "/kept")
        mkdir(tmp + "/kept/c")
        let d = CgroupDrivers.recorded(path: "/x", directories: [tmp + "/parent/c", tmp + "/kept/c"], freezer: nil)
        let failures = d.destroy(own: d.directories, gone: [], made: [tmp + "/parent", tmp + "/parent/c"])
        XCTAssertEqual(failures, [])
        XCTAssertFalse(Files.exists(tmp + "/parent"), "create made it")
        XCTAssertFalse(Files.exists(tmp + "/kept/c"))
        XCTAssertTrue(Files.exists(tmp + "/kept"), "the host had it")
    }
}

extension Cgroup {
    /// Removes a test's temporary tree, files too.
    static func removeTreeForTests(_ dir: String) -> Bool {
        for name in Files.list(dir) {
            let p = dir + "/" + name
            if Files.isDirectory(p) { _ = removeTreeForTests(p) } else { unlink(p) }
        }
        return rmdir(dir) == 0
    }
}
