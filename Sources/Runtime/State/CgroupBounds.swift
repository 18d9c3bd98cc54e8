// What delete may act on, whatever a record says. The intent record and
// state.json are hako's own writing, but they hold values a bundle chose
// (root.path, linux.cgroupsPath): should a record ever be forged again, as
// a root.path holding "\r\n" once forged lines of the intent record,
// delete must not be the tool that empties and removes any host directory.
// So a recorded cgroup is acted on only where this host's cgroup
// hierarchies hold the recorded cgroupsPath, and a directory recorded as
// made only where create could have made it: on the way from a hierarchy's
// root down to one of those cgroups (Cgroup.plannedDirectories).
import Glibc

struct CgroupBounds {
    /// The container's cgroup directory in each mounted hierarchy.
    let directories: [String]
    let roots: [String]

    init(path: String, layout: CgroupLayout = CgroupLayout.detect()) {
        roots = layout.roots
        // create records only absolute, clean paths (Cgroup.resolvePath):
        // any other is not create's, and bounds nothing.
        let clean = path.hasBytePrefix("/") && cleanPath(path) == path
        directories = clean ? Cgroup(layout: layout, path: path).directories : []
    }

    /// One of the container's cgroup directories.
    func holds(_ dir: String) -> Bool { directories.contains(dir) }

    /// A directory create could have made: below a hierarchy's root, and
    /// one of the container's cgroups or a parent of one.
    func couldHaveMade(_ dir: String) -> Bool {
        guard cleanPath(dir) == dir, roots.contains(where: { dir.hasBytePrefix($0 + "/") }) else { return false }
        return directories.contains { $0 == dir || $0.hasBytePrefix(dir + "/") }
    }

    /// The freezer file of one of the container's cgroups.
    func isFreezer(_ file: String) -> Bool {
        directories.contains { file == $0 + "/cgroup.freeze" || file == $0 + "/freezer.state" }
    }
}

extension CreateIntent {
    /// The record without what lies outside its cgroup bounds.
    func confined(_ layout: CgroupLayout = CgroupLayout.detect()) -> CreateIntent {
        let bounds = CgroupBounds(path: cgroupPath, layout: layout)
        var out = self
        out.cgroups = cgroups.filter(bounds.holds)
        out.made = made.filter(bounds.couldHaveMade)
        out.freezer = freezer.flatMap { bounds.isFreezer($0) ? $0 : nil }
        return out
    }
}

extension ContainerState {
    /// The state without cgroups or a freezer outside its cgroup bounds.
    func confined(_ layout: CgroupLayout = CgroupLayout.detect()) -> ContainerState {
        let bounds = CgroupBounds(path: cgroupPath, layout: layout)
        var out = self
        out.cgroups = cgroups.filter(bounds.holds)
        out.freezer = freezer.flatMap { bounds.isFreezer($0) ? $0 : nil }
        return out
    }
}
