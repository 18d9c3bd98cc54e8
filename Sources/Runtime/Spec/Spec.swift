// The runtime-spec (1.2) configuration, config.md. Values are mapped from the
// JSON tree explicitly; unknown members are ignored, as the spec requires.

public struct Spec {
    public var ociVersion: String
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount]
    public var hooks: Hooks
    public var annotations: [(String, String)]
    public var linux: Linux?
    /// The tree it was read from, kept for hooks and for `state` annotations.
    public var json: JSON

    public struct Root {
        public var path: String
        public var readonly: Bool
    }

    public init(_ f: Field) throws {
        json = f.json
        let version = try f.required("ociVersion")
        ociVersion = try version.string()
        // config.md: "MUST be in SemVer v2.0.0 format". crun refuses other
        // text; runc 1.1 takes anything, which hides a broken generator.
        if !Spec.isSemVer(ociVersion) { throw version.error("\"\(ociVersion)\" is not a SemVer 2.0.0 version (MAJOR.MINOR.PATCH)") }
        process = try f.optional("process").map { try Process($0) }
        root = try f.optional("root").map { r in
            _ = try r.required("path")
            let path = try r.pathString("path") ?? ""
            if path.isEmpty { throw SpecError(r.childPath("path"), "must not be empty") }
            return Root(path: path, readonly: try r.bool("readonly") ?? false)
        }
        hostname = try f.string("hostname")
        domainname = try f.string("domainname")
        mounts = try f.list("mounts", Mount.init)
        hooks = try f.optional("hooks").map(Hooks.init) ?? Hooks()
        annotations = try f.stringMap("annotations")
        linux = try f.optional("linux").map(Linux.init)
    }

    /// Reads and maps `config.json` bytes.
    public static func parse(_ bytes: [UInt8]) throws -> Spec {
        let tree: JSON
        do { tree = try JSON.parse(bytes) } catch let e as JSONSyntaxError {
            throw SpecError("", "invalid JSON: \(e)")
        }
        guard case .object = tree else { throw SpecError("", "must be a JSON object, not \(tree.typeName)") }
        return try Spec(Field(tree))
    }

    /// MAJOR.MINOR.PATCH, each a decimal number without leading zeros, then
    /// an optional -pre-release and +build of [0-9A-Za-z-.] as SemVer allows.
    static func isSemVer(_ v: String) -> Bool {
        let core = v.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)
        let main = core[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let numbers = main[0].split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3 else { return false }
        for n in numbers {
            guard !n.isEmpty, n.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), n == "0" || n.first != "0" else { return false }
        }
        let suffixes = (main.count > 1 ? [main[1]] : []) + (core.count > 1 ? [core[1]] : [])
        for s in suffixes {
            guard !s.isEmpty, s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty }),
                  s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2d || $0 == 0x2e })
            else { return false }
        }
        return true
    }
}
