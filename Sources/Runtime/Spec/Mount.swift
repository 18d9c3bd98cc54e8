// config.md "Mounts": an entry as written; Mounts.swift turns options into flags.

public struct Mount {
    public var destination: String
    public var source: String?
    public var type: String?
    public var options: [String]
    public var uidMappings: [IDMapping]
    public var gidMappings: [IDMapping]
    /// Where this entry sits in config.json, for errors raised while mounting.
    public var path: String

    public init(_ f: Field) throws {
        path = f.path
        let d = try f.required("destination")
        destination = try d.string()
        if destination.isEmpty { throw d.error("must not be empty") }
        source = try f.string("source")
        type = try f.string("type")
        options = try f.strings("options")
        uidMappings = try f.list("uidMappings", IDMapping.init)
        gidMappings = try f.list("gidMappings", IDMapping.init)
    }
}
