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

    /// idmap or ridmap: an idmapped bind (IdmappedMounts.swift).
    public var isIdmapped: Bool { options.contains("idmap") || options.contains("ridmap") }

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
        if !uidMappings.isEmpty || !gidMappings.isEmpty {
            if !isIdmapped { throw SpecError(f.childPath("uidMappings"), "needs the idmap or ridmap option") }
            if uidMappings.isEmpty { throw SpecError(f.childPath("uidMappings"), "must be given with gidMappings") }
            if gidMappings.isEmpty { throw SpecError(f.childPath("gidMappings"), "must be given with uidMappings") }
        }
        if options.contains("tmpcopyup"), type != "tmpfs" {
            throw SpecError(f.childPath("options"), "tmpcopyup is for tmpfs mounts only")
        }
        if isIdmapped, type != "bind", !options.contains("bind"), !options.contains("rbind") {
            throw SpecError(f.childPath("options"), "idmap and ridmap are supported on bind mounts only")
        }
    }
}
