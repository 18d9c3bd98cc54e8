// One fuzzing input: bytes as a D-Bus message from the bus. Whatever the
// bytes, DBusMessage.decode must return or throw, never trap or hang (the
// systemd driver reads what the bus sends inside hako); a message that
// decodes must encode again, and its encoding must come back byte for byte
// (compared as bytes: a NaN double is not equal to itself as a value).
import HakoRuntime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDBus(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? DBusMessage.decode(bytes) else { return 0 }
    guard let once = try? message.encoded() else { preconditionFailure("a decoded message does not encode") }
    guard let back = try? DBusMessage.decode(once), let twice = try? back.encoded() else {
        preconditionFailure("a message hako encoded does not decode")
    }
    precondition(once == twice, "a message changes on its way through encode and decode")
    return 0
}

// SwiftPM links an executable's entry point as <target>_main; hand it to
// libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("FuzzDBus_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { fuzzDBus($0, $1) }
}
