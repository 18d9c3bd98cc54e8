// linux.cgroupsPath under --systemd-cgroup: "slice:prefix:name", read as
// runc reads it (libcontainer/specconv and cgroups/systemd): the container
// gets the transient scope "prefix-name.scope" in `slice`, or the slice
// `name` itself when it ends in ".slice"; an empty slice is system.slice
// (user.slice for rootless, whose systemd is the user's). The cgroup path is
// where systemd puts that unit: the slice expanded as systemd names slice
// hierarchies ("a-b.slice" lies in "a.slice"), then the unit.
import Glibc

public struct UnitName: Equatable {
    /// The slice the unit goes in ("system.slice").
    public let slice: String
    /// The unit systemd is asked for ("docker-<id>.scope").
    public let unit: String
    /// The unit's cgroup below the hierarchy's root ("/system.slice/docker-<id>.scope").
    public let cgroupPath: String

    /// The prefix of the scope when the config names none: runc's is
    /// "runc", hako's is its own name.
    public static let defaultPrefix = "hako"

    /// The unit for a container: from cgroupsPath, or ":hako:<id>" when the
    /// config has none.
    public static func parse(_ cgroupsPath: String?, id: String, rootless: Bool) throws -> UnitName {
        let text = cgroupsPath ?? ""
        let parts = text.isEmpty ? ["", defaultPrefix, id] : text.split(byte: 0x3A, omittingEmpty: false)
        guard parts.count == 3 else {
            throw SpecError("linux.cgroupsPath", "\"\(text)\" is not of the form slice:prefix:name, as the systemd cgroup driver needs")
        }
        let slice = parts[0].isEmpty ? (rootless ? "user.slice" : "system.slice") : parts[0]
        let unit = parts[2].hasByteSuffix(".slice") ? parts[2] : parts[1] + "-" + parts[2] + ".scope"
        guard !parts[2].isEmpty else { throw SpecError("linux.cgroupsPath", "\"\(text)\" has an empty name") }
        try checkUnit(unit)
        let parent = try expandSlice(slice)
        return UnitName(slice: slice, unit: unit, cgroupPath: (parent == "/" ? "" : parent) + "/" + unit)
    }

    /// A slice's cgroup path, as systemd lays slices out: each '-' in the
    /// name is a step down, "a-b-c.slice" is "/a.slice/a-b.slice/a-b-c.slice"
    /// and "-.slice" is the root. Refuses what runc's ExpandSlice refuses: no
    /// ".slice" suffix, a '/', an empty step (a leading, trailing or double '-').
    public static func expandSlice(_ slice: String) throws -> String {
        func refuse() -> SpecError { SpecError("linux.cgroupsPath", "invalid slice name \"\(slice)\"") }
        guard slice.hasByteSuffix(".slice"), !slice.utf8.contains(0x2F) else { throw refuse() }
        let stem = String(decoding: slice.utf8.dropLast(6), as: UTF8.self)
        if stem == "-" { return "/" }
        var path = ""
        var prefix = ""
        for step in stem.split(byte: 0x2D, omittingEmpty: false) {
            guard !step.isEmpty else { throw refuse() }
            path += "/" + prefix + step + ".slice"
            prefix += step + "-"
        }
        return path
    }

    /// What systemd accepts as a unit name (unit_name_is_valid): at most 255
    /// bytes of [A-Za-z0-9:_.@\-]. Checked here so that a bad name is
    /// refused as the config's fault, and never reaches a path.
    static func checkUnit(_ unit: String) throws {
        let allowed = unit.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x3A || b == 0x5F || b == 0x2E || b == 0x40 || b == 0x2D || b == 0x5C
        }
        guard allowed, unit.utf8.count <= 255 else {
            throw SpecError("linux.cgroupsPath", "\"\(unit)\" is not a valid systemd unit name")
        }
    }
}
