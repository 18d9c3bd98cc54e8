// One fuzzing input: bytes as config.json. The JSON reader, the spec
// mapping and `hako check`'s config rounds (create's validation, with
// each bad value cut out and the rest checked again) must never crash or
// hang, whatever the bytes; a tree that parses must come back identical
// from its own serialization; the paths that errors name must point into
// the tree, or at a member missing from it (hako check cuts values by
// them); check must find a problem exactly when the spec does not map;
// and a profile that maps must compile, or fail with a path, in libseccomp.
import HakoRuntime

/// No bundle directory: root.path is then never a directory, and create's
/// validation stops there after every rule of the config itself.
let checker = BundleCheck(bundle: "/nonexistent/hako-fuzz", logger: Logger(path: "/dev/null", format: .text, debug: false))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let tree = try? JSON.parse(bytes) else { return 0 }
    let again = try? JSON.parse(Array(tree.serialized().utf8))
    precondition(again == tree, "JSON does not survive its own serialization")
    var spec: Spec? = nil
    do { spec = try Spec.parse(bytes) } catch let e as SpecError {
        // The path names a value in the tree, or a missing member of one.
        let parent = e.path.lastIndex(where: { $0 == "." || $0 == "[" }).map { String(e.path[..<$0]) } ?? ""
        precondition(e.path.isEmpty || BundleCheck.cut(e.path, from: tree) != nil || parent.isEmpty
                     || BundleCheck.cut(parent, from: tree) != nil, "error path \(e.path) is not in the tree")
    } catch {}
    guard case .object = tree else { return 0 }
    let problems = checker.configProblems(tree)
    precondition(spec != nil || !problems.isEmpty, "check found nothing in a config that does not map")
    if let spec { _ = checker.seccompProblems(spec) }
    return 0
}

// SwiftPM links an executable's entry point as <target>_main; hand it to
// libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("FuzzConfig_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { fuzzConfig($0, $1) }
}
