import Foundation
import Glibc
import XCTest
@testable import HakoRuntime

/// The D-Bus wire format against byte layouts worked out from the
/// specification, malformed input refused with an error, the systemd calls'
/// encoding, and a conversation with a private dbus-daemon.
final class DBusTests: XCTestCase {
    /// The private bus of testLiveBus, stopped (by its pid) in tearDown.
    private var daemon: Foundation.Process?
    private var busDirectory: String?

    override func tearDown() {
        if let daemon, daemon.isRunning {
            kill(daemon.processIdentifier, SIGTERM)
            daemon.waitUntilExit()
        }
        if let busDirectory { try? FileManager.default.removeItem(atPath: busDirectory) }
        super.tearDown()
    }

    private func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    private func written(_ values: [DBusValue]) throws -> [UInt8] {
        var w = DBusWriter()
        for v in values { try w.write(v) }
        return w.bytes
    }

    // MARK: known layouts

    /// The Hello every client sends first: 109 bytes of header fields
    /// (PATH, INTERFACE, MEMBER, DESTINATION, each a struct on 8), padded to 128.
    func testHelloLayout() throws {
        var hello = DBusMessage.bus(member: "Hello")
        hello.serial = 1
        let bus = ascii("org.freedesktop.DBus")
        var expected: [UInt8] = [0x6C, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 109, 0, 0, 0]
        expected += [1, 1, 0x6F, 0, 21, 0, 0, 0] + ascii("/org/freedesktop/DBus") + [0, 0, 0]
        expected += [2, 1, 0x73, 0, 20, 0, 0, 0] + bus + [0, 0, 0, 0]
        expected += [3, 1, 0x73, 0, 5, 0, 0, 0] + ascii("Hello") + [0, 0, 0]
        expected += [6, 1, 0x73, 0, 20, 0, 0, 0] + bus + [0, 0, 0, 0]
        XCTAssertEqual(try hello.encoded(), expected)
    }

    /// A struct after a byte starts on the next multiple of 8; its u32 on 4.
    func testStructAfterBytePadding() throws {
        XCTAssertEqual(try written([.byte(1), .structure([.byte(2), .uint32(3)])]),
                       [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0])
    }

    /// A variant is its signature then its value; the array's length counts
    /// the elements' bytes only.
    func testVariantHoldingArray() throws {
        XCTAssertEqual(try written([.variant(.array(.uint32, [.uint32(1), .uint32(2)]))]),
                       [2, 0x61, 0x75, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0])
    }

    /// An array of 8-byte elements pads to 8 after its length, even empty.
    func testEmptyArrayPadsToElement() throws {
        XCTAssertEqual(try written([.array(.uint64, [])]), [0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(try written([.array(.uint64, [.uint64(7)])]), [8, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0])
    }

    /// A big-endian METHOD_RETURN (the specification allows either order).
    func testBigEndianReply() throws {
        let bytes: [UInt8] = [0x42, 2, 0, 1, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 15,
                              5, 1, 0x75, 0, 0, 0, 0, 3, 8, 1, 0x67, 0, 1, 0x75, 0, 0,
                              0, 0, 0, 5]
        let m = try DBusMessage.decode(bytes)
        XCTAssertEqual(m.kind, .methodReturn)
        XCTAssertEqual(m.serial, 7)
        XCTAssertEqual(m.replySerial, 3)
        XCTAssertEqual(m.body, [.uint32(5)])
    }

    // MARK: round trips

    func testEveryTypeRoundTrips() throws {
        let values: [DBusValue] = [
            .byte(255), .boolean(true), .int16(-2), .uint16(65535), .int32(-3), .uint32(4), .int64(-5),
            .uint64(UInt64.max), .double(1.5), .string("héllo"), .objectPath("/a/b_1"), .signature("a{sv}"),
            .array(.dictEntry(.string, .variant), [.dictEntry(.string("k"), .variant(.int64(1)))]),
            .structure([.byte(1), .structure([.uint16(2)]), .array(.string, [])]),
            .variant(.variant(.array(.structure([.string, .variant]), [.structure([.string("x"), .variant(.boolean(false))])]))),
        ]
        var m = DBusMessage(kind: .signal)
        (m.serial, m.path, m.interface, m.member, m.sender) = (9, "/p", "org.hako.I", "M", ":1.5")
        m.body = values
        let back = try DBusMessage.decode(try m.encoded())
        XCTAssertEqual(back.body, values)
        XCTAssertEqual(back.signature, "ybnqiuxtdsoga{sv}(y(q)as)v")
        XCTAssertEqual([back.path, back.interface, back.member, back.sender], ["/p", "org.hako.I", "M", ":1.5"])
    }

    func testErrorReplyRoundTrips() throws {
        var m = DBusMessage(kind: .error)
        (m.serial, m.replySerial, m.errorName, m.destination) = (2, 1, "org.hako.Error.Failed", ":1.1")
        m.body = [.string("it failed")]
        let back = try DBusMessage.decode(try m.encoded())
        XCTAssertEqual(back.errorName, "org.hako.Error.Failed")
        XCTAssertEqual(back.replySerial, 1)
        XCTAssertEqual(back.firstText, "it failed")
    }

    // MARK: malformed input

    private func reply(_ body: [DBusValue]) throws -> [UInt8] {
        var m = DBusMessage(kind: .methodReturn)
        (m.serial, m.replySerial, m.body) = (2, 1, body)
        return try m.encoded()
    }

    private func assertRefused(_ bytes: [UInt8], _ why: String, line: UInt = #line) {
        XCTAssertThrowsError(try DBusMessage.decode(bytes), why, line: line) { XCTAssert($0 is DBusError, "\($0)", line: line) }
    }

    /// Replaces the first run of `old` in `bytes`.
    private func patched(_ bytes: [UInt8], _ old: [UInt8], _ new: [UInt8]) -> [UInt8] {
        guard let i = (0...bytes.count - old.count).first(where: { Array(bytes[$0..<$0 + old.count]) == old }) else {
            XCTFail("\(old) not found")
            return bytes
        }
        var out = bytes
        out.replaceSubrange(i..<i + old.count, with: new)
        return out
    }

    func testTruncatedMessagesRefused() throws {
        let good = try reply([.string("abc"), .uint32(1)])
        XCTAssertNoThrow(try DBusMessage.decode(good))
        for cut in [0, 1, 15, 16, 20, good.count - 1] { assertRefused(Array(good.prefix(cut)), "cut at \(cut)") }
    }

    func testBadLengthsRefused() throws {
        let good = try reply([.uint32(1)])
        var huge = good
        huge.replaceSubrange(4..<8, with: [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try DBusMessage.frameLength(huge[...]))
        assertRefused(huge, "body length beyond the limit")
        var fields = good
        fields.replaceSubrange(12..<16, with: [0xFF, 0xFF, 0, 0])
        assertRefused(fields, "fields length beyond the message")
        var body = good
        body[4] = 8
        assertRefused(body + [0, 0, 0, 0], "body longer than its signature")
    }

    func testBadSignaturesRefused() throws {
        let good = try reply([.int32(1)])
        assertRefused(patched(good, [8, 1, 0x67, 0, 1, 0x69, 0], [8, 1, 0x67, 0, 1, 0x28, 0]), "signature \"(\"")
        assertRefused(patched(good, [8, 1, 0x67, 0, 1, 0x69, 0], [8, 1, 0x67, 0, 1, 0x73, 0]), "a string where an int32 is")
        assertRefused(patched(good, [8, 1, 0x67, 0, 1, 0x69, 0], [8, 1, 0x67, 0, 1, 0x68, 0]), "unix fds are not spoken")
        assertRefused(patched(good, [5, 1, 0x75, 0], [5, 1, 0x73, 0]), "REPLY_SERIAL as a string")
        for bad in ["(", "()", "a", "a{vs}", "{ss}", "(i", "z", String(repeating: "a", count: 33) + "y",
                    String(repeating: "(", count: 33) + "y" + String(repeating: ")", count: 33)] {
            XCTAssertThrowsError(try DBusType.parse(bad), bad)
        }
        XCTAssertEqual(try DBusType.parse("a{sv}(yu)"), [.array(.dictEntry(.string, .variant)), .structure([.byte, .uint32])])
    }

    func testBadValuesRefused() {
        func refused(_ bytes: [UInt8], _ type: DBusType, _ why: String, line: UInt = #line) {
            var r = DBusReader(bytes)
            XCTAssertThrowsError(try r.read(type), why, line: line)
        }
        refused([2, 0, 0, 0], .boolean, "a boolean of 2")
        refused([0xFF, 0xFF, 0, 0, 1], .array(.byte), "an array beyond the message")
        refused([3, 0, 0, 0, 0x61, 0x62, 0x63, 0x64], .string, "a string without its NUL")
        refused([2, 0, 0, 0, 0xC3, 0x28, 0], .string, "invalid UTF-8")
        refused([2, 0, 0, 0, 0x61, 0, 0], .string, "a NUL inside a string")
        refused([1, 0, 0, 0, 0x61, 0, 0, 0], .objectPath, "a path without '/'")
        refused([1, 0xFF, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0], .structure([.byte, .uint32]), "non-zero padding")
        refused([5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0], .array(.uint32), "elements overrunning the length")
        let nested: [UInt8] = Array(repeating: [1, 0x76, 0] as [UInt8], count: 70).flatMap { $0 }
        let deep: [UInt8] = nested + [1, 0x79, 0, 5]
        refused(deep, .variant, "variants nested 70 deep")
    }

    /// Every byte of a rich message changed, and every prefix of it: each
    /// decodes or throws, none traps (a trap would end the test run).
    func testMutatedMessagesNeverTrap() throws {
        var m = DBusMessage(kind: .signal)
        (m.serial, m.path, m.interface, m.member) = (5, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved")
        m.body = [.uint32(17), .objectPath("/j/17"), .string("a.scope"), .string("done"),
                  .array(.dictEntry(.string, .variant), [.dictEntry(.string("k"), .variant(.array(.uint64, [.uint64(1)])))])]
        let good = try m.encoded()
        var refused = 0
        for i in 0..<good.count {
            for value: UInt8 in [0, 1, 0x7F, 0xFF, good[i] &+ 1] {
                var bad = good
                bad[i] = value
                if (try? DBusMessage.decode(bad)) == nil { refused += 1 }
            }
        }
        for cut in 0..<good.count { XCTAssertNil(try? DBusMessage.decode(Array(good.prefix(cut))), "cut at \(cut)") }
        XCTAssertGreaterThan(refused, good.count)
    }

    func testBadValuesNotWritten() {
        XCTAssertThrowsError(try written([.string("a\u{0}b")]))
        XCTAssertThrowsError(try written([.objectPath("/a//b")]))
        XCTAssertThrowsError(try written([.objectPath("/a/")]))
        XCTAssertThrowsError(try written([.array(.uint32, [.string("x")])]))
    }

    // MARK: a connection to a peer that misbehaves

    private func pair() throws -> (DBusConnection, Int32) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds), 0)
        return (DBusConnection(descriptor: fds[0]), fds[1])
    }

    /// A bus that never answers costs the timeout, then an error.
    func testSilentBusTimesOut() throws {
        let (c, peer) = try pair()
        defer { close(peer) }
        let start = Clock.micros()
        XCTAssertThrowsError(try c.call(.bus(member: "GetId"), timeout: 100))
        XCTAssertLessThan(Clock.micros() - start, 2_000_000)
        XCTAssertNil(try c.waitForSignal(timeout: 50) { _ in true })
    }

    /// A reply claiming a body beyond the limit is refused at its header,
    /// not waited for.
    func testHostileLengthRefused() throws {
        let (c, peer) = try pair()
        defer { close(peer) }
        let header: [UInt8] = [0x6C, 2, 0, 1, 0xFF, 0xFF, 0xFF, 0x7F, 1, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(header.withUnsafeBytes { write(peer, $0.baseAddress, $0.count) }, 16)
        XCTAssertThrowsError(try c.call(.bus(member: "GetId"), timeout: 1000)) { XCTAssert($0 is DBusError, "\($0)") }
    }

    /// A bus that hangs up is an error, not a wait.
    func testClosedBusRefused() throws {
        let (c, peer) = try pair()
        close(peer)
        XCTAssertThrowsError(try c.call(.bus(member: "GetId"), timeout: 1000))
    }

    /// SASL: the NUL, AUTH EXTERNAL with the uid's digits in hex, then BEGIN
    /// after the server's OK; a REJECTED is an error.
    func testAuthentication() throws {
        let (c, peer) = try pair()
        defer { close(peer) }
        let ok = Array("OK 0123456789abcdef0123456789abcdef\r\n".utf8)
        _ = ok.withUnsafeBytes { write(peer, $0.baseAddress, $0.count) }
        try c.authenticate(uid: 1000, timeout: 1000)
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { read(peer, $0.baseAddress, $0.count) }
        XCTAssertEqual(Array(buffer.prefix(max(n, 0))), [0] + Array("AUTH EXTERNAL 31303030\r\nBEGIN\r\n".utf8))

        let (d, other) = try pair()
        defer { close(other) }
        let rejected = Array("REJECTED EXTERNAL\r\n".utf8)
        _ = rejected.withUnsafeBytes { write(other, $0.baseAddress, $0.count) }
        XCTAssertThrowsError(try d.authenticate(uid: 0, timeout: 1000))
    }

    func testSystemBusAddress() {
        XCTAssertEqual(DBusConnection.systemBusPath(address: nil), "/run/dbus/system_bus_socket")
        XCTAssertEqual(DBusConnection.systemBusPath(address: "unix:path=/tmp/a%3db"), "/tmp/a=b")
        XCTAssertEqual(DBusConnection.systemBusPath(address: "unix:abstract=x;unix:guid=1,path=/run/b"), "/run/b")
        XCTAssertEqual(DBusConnection.systemBusPath(address: "tcp:host=h"), "/run/dbus/system_bus_socket")
    }

    // MARK: systemd's calls

    func testStartTransientUnitEncoding() throws {
        var scope = SystemdManager.Scope(unit: "docker-abc.scope", slice: "system.slice", description: "hako container abc", pids: [42])
        scope.delegate = true
        var call = SystemdManager.startTransientUnit(scope)
        XCTAssertEqual(call.signature, "ssa(sv)a(sa(sv))")
        call.serial = 3
        let back = try DBusMessage.decode(try call.encoded())
        XCTAssertEqual(back.member, "StartTransientUnit")
        XCTAssertEqual(back.destination, "org.freedesktop.systemd1")
        XCTAssertEqual(back.path, "/org/freedesktop/systemd1")
        XCTAssertEqual(back.interface, "org.freedesktop.systemd1.Manager")
        XCTAssertEqual(Array(back.body.prefix(2)), [.string("docker-abc.scope"), .string("replace")])
        guard back.body.count == 4, case .array(_, let properties) = back.body[2] else { return XCTFail("\(back.body)") }
        var found: [String: DBusValue] = [:]
        for p in properties {
            guard case .structure(let pair) = p, case .string(let name) = pair[0], case .variant(let value) = pair[1] else {
                return XCTFail("\(p)")
            }
            found[name] = value
        }
        XCTAssertEqual(found["Slice"], .string("system.slice"))
        XCTAssertEqual(found["Description"], .string("hako container abc"))
        XCTAssertEqual(found["Delegate"], .boolean(true))
        XCTAssertEqual(found["PIDs"], .array(.uint32, [.uint32(42)]))
        XCTAssertEqual(found["DefaultDependencies"], .boolean(false))
        for accounting in ["MemoryAccounting", "CPUAccounting", "TasksAccounting"] {
            XCTAssertEqual(found[accounting], .boolean(true), accounting)
        }
        XCTAssertEqual(back.body[3], .array(.structure([.string, .array(.structure([.string, .variant]))]), []))
    }

    /// A unit that is a slice Wants= its parent slice, with no Slice=,
    /// Delegate= or, without pids, PIDs=.
    func testSliceUnitProperties() throws {
        let slice = SystemdManager.Scope(unit: "mine.slice", slice: "system.slice", description: "d", pids: [])
        let names = slice.properties.compactMap { p -> String? in
            guard case .structure(let pair) = p else { return nil }
            return pair[0].text
        }
        XCTAssertEqual(names, ["Description", "Wants", "MemoryAccounting", "CPUAccounting", "TasksAccounting", "DefaultDependencies"])
        XCTAssertEqual(slice.properties[1], .structure([.string("Wants"), .variant(.array(.string, [.string("system.slice")]))]))
    }

    func testStopAndResetEncoding() {
        let stop = SystemdManager.stopUnit("a.scope")
        XCTAssertEqual(stop.member, "StopUnit")
        XCTAssertEqual(stop.body, [.string("a.scope"), .string("replace")])
        let reset = SystemdManager.resetFailedUnit("a.scope")
        XCTAssertEqual(reset.member, "ResetFailedUnit")
        XCTAssertEqual(reset.signature, "s")
    }

    func testJobRemovedDecoding() throws {
        var signal = DBusMessage(kind: .signal)
        (signal.serial, signal.path, signal.interface, signal.member) = (5, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved")
        signal.body = [.uint32(17), .objectPath("/org/freedesktop/systemd1/job/17"), .string("docker-abc.scope"), .string("done")]
        let decoded = try JobRemoved(try DBusMessage.decode(try signal.encoded()))
        XCTAssertEqual(decoded?.id, 17)
        XCTAssertEqual(decoded?.job, "/org/freedesktop/systemd1/job/17")
        XCTAssertEqual(decoded?.unit, "docker-abc.scope")
        XCTAssertEqual(decoded?.result, "done")

        signal.body = [.string("bad")]
        XCTAssertThrowsError(try JobRemoved(signal))
        signal.member = "UnitNew"
        XCTAssertNil(try JobRemoved(signal))

        var reply = DBusMessage(kind: .methodReturn)
        reply.body = [.objectPath("/org/freedesktop/systemd1/job/17")]
        XCTAssertEqual(try SystemdManager.startedJob(reply), "/org/freedesktop/systemd1/job/17")
        reply.body = [.string("x")]
        XCTAssertThrowsError(try SystemdManager.startedJob(reply))
    }

    // MARK: a real bus

    /// Starts dbus-daemon on a socket of its own; returns the socket's path.
    private func startBus() throws -> String {
        let exe = "/usr/bin/dbus-daemon"
        guard access(exe, X_OK) == 0 else { throw XCTSkip("\(exe) is not installed: no bus to talk to") }
        var template = Array((NSTemporaryDirectory() + "/hako-dbus-XXXXXX").utf8CString)
        guard let dir = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        let directory = String(cString: dir)
        busDirectory = directory
        let socket = directory + "/bus"
        let p = Foundation.Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--session", "--nofork", "--address=unix:path=\(socket)", "--print-address"]
        p.standardOutput = Pipe()
        p.standardError = FileHandle.nullDevice
        try p.run()
        daemon = p
        for _ in 0..<100 where access(socket, F_OK) != 0 { usleep(50_000) }
        guard access(socket, F_OK) == 0 else { throw XCTSkip("dbus-daemon made no socket in 5 s") }
        return socket
    }

    /// Hello, GetId, ListNames, an error reply, AddMatch and RequestName's
    /// signals, and a wait for a signal that never comes, ending in time.
    func testLiveBus() throws {
        let c = try DBusConnection(path: try startBus(), timeout: 2000)
        let name = try c.hello()
        XCTAssert(name.hasPrefix(":"), name)
        XCTAssertEqual(c.uniqueName, name)
        XCTAssertEqual(try c.call(.bus(member: "GetId")).firstText?.utf8.count, 32)

        guard case .array(.string, let names)? = try c.call(.bus(member: "ListNames")).body.first else {
            return XCTFail("ListNames returned no array of strings")
        }
        XCTAssert(names.contains(.string("org.freedesktop.DBus")), "\(names)")
        XCTAssert(names.contains(.string(name)), "\(names)")

        XCTAssertThrowsError(try c.call(.bus(member: "NoSuchMethod"))) { error in
            XCTAssertEqual((error as? DBusCallError)?.name, "org.freedesktop.DBus.Error.UnknownMethod", "\(error)")
        }

        try c.addMatch("type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'")
        let wanted = "org.hako.DBusTest"
        let owner = try c.call(.bus(member: "RequestName", body: [.string(wanted), .uint32(0)]))
        XCTAssertEqual(owner.body, [.uint32(1)], "not the primary owner")
        let changed = try c.waitForSignal(timeout: 2000) { $0.member == "NameOwnerChanged" && $0.firstText == wanted }
        XCTAssertEqual(changed?.body, [.string(wanted), .string(""), .string(name)])
        let acquired = try c.waitForSignal(timeout: 2000) { $0.member == "NameAcquired" && $0.firstText == wanted }
        XCTAssertEqual(acquired?.destination, name)

        let start = Clock.micros()
        XCTAssertNil(try c.waitForSignal(timeout: 200) { $0.member == "NeverSent" })
        XCTAssertLessThan(Clock.micros() - start, 2_000_000)
    }
}
