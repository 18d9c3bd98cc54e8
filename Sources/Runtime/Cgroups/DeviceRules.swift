// Which devices the container may use (config-linux.md "Allowed Device
// list"). The rules alone decide: a node in linux.devices is only created,
// never allowed by being listed, as in runc, so a config's deny holds for
// every node it can reach. After the config's rules come, as in runc, the
// devices every container needs (config-linux.md "Default Devices"), so
// that a config that denies all still gets a working /dev/null. The last
// matching rule wins.

extension Resources.DeviceRule {
    static func allow(_ type: String, _ major: Int64?, _ minor: Int64?, _ access: String = "rwm") -> Self {
        Self(allow: true, type: type, major: major, minor: minor, access: access)
    }

    /// The devices every container gets, whatever its config says.
    static let defaults: [Self] = [
        .allow("c", nil, nil, "m"), .allow("b", nil, nil, "m"),   // mknod is harmless without access
        .allow("c", 1, 3), .allow("c", 1, 5), .allow("c", 1, 7),   // null, zero, full
        .allow("c", 1, 8), .allow("c", 1, 9), .allow("c", 5, 0),   // random, urandom, tty
        .allow("c", 5, 1), .allow("c", 5, 2), .allow("c", 136, nil), // console, ptmx, pts/*
    ]

    /// All the rules for a container, in evaluation order.
    static func effective(config: [Self]) -> [Self] { config + defaults }

    /// Major and minor, with the spec's -1 (and absence) meaning "any".
    var anyMajor: Int64? { major.flatMap { $0 < 0 ? nil : $0 } }
    var anyMinor: Int64? { minor.flatMap { $0 < 0 ? nil : $0 } }

    /// The rule as v1's devices.allow and devices.deny read it: "c 1:3 rwm".
    var v1Text: String {
        let t = type ?? "a"
        return "\(t) \(anyMajor.map { String(decimal: $0) } ?? "*"):\(anyMinor.map { String(decimal: $0) } ?? "*") \(access ?? "rwm")"
    }
}
