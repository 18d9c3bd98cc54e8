import XCTest
@testable import HakoRuntime

/// linux.cgroupsPath under --systemd-cgroup, by runc's rules.
final class UnitNameTests: XCTestCase {
    private func unit(_ path: String?, rootless: Bool = false) throws -> UnitName {
        try UnitName.parse(path, id: "abc", rootless: rootless)
    }

    func testScopeInSlice() throws {
        let u = try unit("system.slice:docker:abc")
        XCTAssertEqual(u.slice, "system.slice")
        XCTAssertEqual(u.unit, "docker-abc.scope")
        XCTAssertEqual(u.cgroupPath, "/system.slice/docker-abc.scope")
    }

    func testEmptySliceIsSystemOrUser() throws {
        XCTAssertEqual(try unit(":crio:abc").cgroupPath, "/system.slice/crio-abc.scope")
        XCTAssertEqual(try unit(":crio:abc", rootless: true).cgroupPath, "/user.slice/crio-abc.scope")
    }

    func testNoPathIsHakosScope() throws {
        XCTAssertEqual(try unit(nil).unit, "hako-abc.scope")
        XCTAssertEqual(try unit("").cgroupPath, "/system.slice/hako-abc.scope")
    }

    func testNestedAndRootSlices() throws {
        XCTAssertEqual(try unit("machine-a.slice:p:x").cgroupPath, "/machine.slice/machine-a.slice/p-x.scope")
        XCTAssertEqual(try unit("-.slice:p:x").cgroupPath, "/p-x.scope")
    }

    /// A name that is a slice is the unit itself; the prefix is not used.
    func testNameThatIsASlice() throws {
        let u = try unit("system.slice:p:mine.slice")
        XCTAssertEqual(u.unit, "mine.slice")
        XCTAssertEqual(u.cgroupPath, "/system.slice/mine.slice")
    }

    func testExpandSlice() throws {
        XCTAssertEqual(try UnitName.expandSlice("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice")
        XCTAssertEqual(try UnitName.expandSlice("test.slice"), "/test.slice")
        XCTAssertEqual(try UnitName.expandSlice("-.slice"), "/")
        for bad in ["a--b.slice", "-a.slice", "a-.slice", "a/b.slice", ".slice", "system", "", "--.slice"] {
            XCTAssertThrowsError(try UnitName.expandSlice(bad), bad)
        }
    }

    func testRefusedPaths() {
        for bad in ["/foo/bar", "a:b", "a:b:c:d", "system:p:x", "a--b.slice:p:x", "-a.slice:p:x", "a-.slice:p:x",
                    "a/b.slice:p:x", ".slice:p:x", "s.slice:p:", "s.slice:p:a/b", "s.slice:p q:x"] {
            XCTAssertThrowsError(try unit(bad), bad) { error in
                XCTAssertEqual((error as? SpecError)?.path, "linux.cgroupsPath", "\(error)")
            }
        }
    }
}
