// swift-tools-version:5.9
// The config.json parser under libFuzzer. A package of its own so that the
// sanitizer flags never touch hako's build. Run: fuzz/run [SECONDS].
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
    ]
)
