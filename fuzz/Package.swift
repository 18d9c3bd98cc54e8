// swift-tools-version:5.9
// The config.json parser and the D-Bus message reader under libFuzzer. A package of its own so that the
// sanitizer flags never touch hako's build. Run: fuzz/run [SECONDS], fuzz/run-dbus [SECONDS].
import PackageDescription

let sanitize = ["-sanitize=fuzzer,address"]
let package = Package(
    name: "hako-fuzz",
    dependencies: [.package(name: "hako", path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzConfig",
            dependencies: [.product(name: "HakoRuntime", package: "hako")],
            swiftSettings: [.unsafeFlags(sanitize + ["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(sanitize)]),
        // D-Bus messages as the bus might send them (fuzz/run-dbus).
        .executableTarget(
            name: "FuzzDBus",
            dependencies: [.product(name: "HakoRuntime", package: "hako")],
            swiftSettings: [.unsafeFlags(sanitize + ["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(sanitize)]),
    ]
)
