import XCTest
@testable import HakoRuntime

final class CredentialsTests: XCTestCase {
    /// The state's owner and the process's default HOME both come from
    /// /etc/passwd (static binaries have no NSS); every Linux host has root.
    func testPasswdFields() throws {
        XCTAssertEqual(try Credentials.passwdField(0, of: 0), "root")
        XCTAssertEqual(ContainerState.userName(0), "root")
        XCTAssertEqual(try Credentials.home(of: 0), "/root")
        // An id with no line: the number itself as owner, "/" as home.
        XCTAssertNil(try Credentials.passwdField(0, of: 3_999_999))
        XCTAssertEqual(ContainerState.userName(3_999_999), "3999999")
        XCTAssertEqual(try Credentials.home(of: 3_999_999), "/")
    }
}
