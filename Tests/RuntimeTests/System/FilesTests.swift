import Glibc
import XCTest
@testable import HakoRuntime

final class FilesTests: XCTestCase {
    /// A directory of this test's own under /tmp, removed afterwards.
    func scratch() throws -> String {
        var template = Array("/tmp/hako-files.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw SystemError("mkdtemp") }
        let dir = String(cString: p)
        addTeardownBlock { _ = try? Self.removeTree(dir) }
        return dir
    }

    static func removeTree(_ path: String) throws {
        for sub in ["/a/b/c", "/a/b", "/a", "/x"] { rmdir(path + sub) }
        rmdir(path)
    }

    func testMakeDirectoriesReportsWhatItMadeOutermostFirst() throws {
        let dir = try scratch()
        XCTAssertEqual(try Files.makeDirectories(dir + "/a/b/c"), [dir + "/a", dir + "/a/b", dir + "/a/b/c"])
        XCTAssertTrue(Files.isDirectory(dir + "/a/b/c"))
        XCTAssertEqual(try Files.makeDirectories(dir + "/a/b/c"), [])
        XCTAssertEqual(try Files.makeDirectories(dir + "/a/b/c/"), [])
    }

    func testMakeDirectoriesUnderAnExistingParentMakesOne() throws {
        let dir = try scratch()
        XCTAssertEqual(try Files.makeDirectories(dir + "//x/"), [dir + "//x/"])
        XCTAssertTrue(Files.isDirectory(dir + "/x"))
    }

    func testMakeDirectoriesThroughAFileFails() throws {
        let dir = try scratch()
        let file = dir + "/a"
        close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600))
        defer { unlink(file) }
        XCTAssertThrowsError(try Files.makeDirectories(file + "/b"))
    }

    func testParentDirectory() {
        XCTAssertEqual(Files.parentDirectory("/a/b"), "/a")
        XCTAssertEqual(Files.parentDirectory("/a//b//"), "/a")
        XCTAssertEqual(Files.parentDirectory("a/b"), "a")
        XCTAssertNil(Files.parentDirectory("/a"))
        XCTAssertNil(Files.parentDirectory("a"))
        XCTAssertNil(Files.parentDirectory("/"))
    }
}
