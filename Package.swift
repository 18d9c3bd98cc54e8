// swift-tools-version:5.9
// hako: an OCI container runtime. The CLI is linked statically because every
// invocation is a short process and a static Swift binary starts ~6x faster.
import PackageDescription

// The release link lays hako's functions out in the order `hako run` first
// calls them (scripts/hot-functions/order writes the list), so a short
// process faults in a few 64 KB windows of text instead of ~70. lld, which
// the Swift toolchain ships, takes such a list; the default gold does not.
let orderFile = String(#filePath.dropLast("Package.swift".count)) + "Sources/hako/hako.order"

let package = Package(
    name: "hako",
    products: [
        .executable(name: "hako", targets: ["hako"]),
        // For fuzz/ (a package of its own, built with -sanitize=fuzzer).
        .library(name: "HakoRuntime", targets: ["HakoRuntime"]),
    ],
    targets: [
        // Thin C wrappers for syscalls Swift's Glibc module lacks or cannot call
        // (variadic prctl/ioctl, clone, SCM_RIGHTS). No policy lives here.
        .target(name: "CNamespaces"),
        // Bridge to libseccomp.
        .target(name: "CSeccomp", linkerSettings: [.linkedLibrary("seccomp")]),
        // The runtime itself. The module is called HakoRuntime because the Swift
        // toolchain ships a module named `Runtime` of its own.
        .target(name: "HakoRuntime", dependencies: ["CNamespaces", "CSeccomp"], path: "Sources/Runtime",
                swiftSettings: [.unsafeFlags(["-Osize", "-Xfrontend", "-disable-implicit-string-processing-module-import", "-Xfrontend", "-function-sections"])]),
        .executableTarget(
            name: "hako", dependencies: ["HakoRuntime"], path: "Sources/hako", exclude: ["hako.order"],
            swiftSettings: [.unsafeFlags(["-Osize", "-Xfrontend", "-disable-implicit-string-processing-module-import", "-Xfrontend", "-function-sections"])],
            linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "--gc-sections", "-use-ld=lld",
                                           "-Xlinker", "--symbol-ordering-file=\(orderFile)",
                                           "-Xlinker", "--no-warn-symbol-ordering"])]),
        .testTarget(name: "RuntimeTests", dependencies: ["HakoRuntime"], path: "Tests/RuntimeTests"),
        // A seccomp notification agent for the tests.
        .target(name: "CTestSupport", path: "Tests/CTestSupport"),
        .testTarget(name: "hakoTests", dependencies: ["HakoRuntime", "CTestSupport"], path: "Tests/hakoTests"),
    ]
)
