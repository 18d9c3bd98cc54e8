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
        ociVersion = try f.required("ociVersion").string()
        process = try f.optional("process").map(Process.init)
        root = try f.optional("root").map { r in
            let path = try r.required("path").string()
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
}
