// The cgroup driver: everything the runtime asks of whatever keeps a
// container's cgroup, so that nothing outside Cgroups/ has to know whether
// it writes cgroupfs files itself (Cgroup, today's and only driver) or asks
// systemd for a scope (issue 24, next). Modelled on the managers of the
// other runtimes: runc's cgroups.Manager (Apply, Set, Freeze, GetStats,
// GetAllPids, Destroy, Paths, OOMKillCount), crun's libcrun_cgroup_manager
// and youki's CgroupManager; its operations are the ones hako's commands use.
//
// A driver is a value describing one container's cgroup. It is made in two
// ways (CgroupDrivers below): for a new container, from linux.cgroupsPath;
// for an existing one, from what its state recorded at create. Making one
// costs no system call; the host's layout is found when an operation needs it.
import Glibc

public protocol CgroupDriver {
    /// The driver's name as runc spells it: "cgroupfs" or "systemd".
    var name: String { get }

    /// The cgroup's path inside every hierarchy (state.json's cgroupPath).
    var path: String { get }

    /// Where the cgroup lives in the mounted hierarchies, one directory per
    /// hierarchy, in the order of `layout.roots` (runc's Paths). Recorded in
    /// state.json and the intent record; the container's /sys/fs/cgroup
    /// binds them. Empty when the container has no cgroup of its own.
    var directories: [String] { get }

    /// The host's cgroup hierarchies, as the container's /sys/fs/cgroup shows them.
    var layout: CgroupLayout { get }

    /// Whether the container has a cgroup at all: rootless hako without a
    /// delegated cgroup makes none and runs in its caller's (runc's Exists,
    /// answered from the record, without a system call).
    var exists: Bool { get }

    /// Whether resources go into cgroup v2's files (a pure v2 host).
    var isUnified: Bool { get }

    // MARK: create

    /// What create() would make now, outermost first, for the intent record
    /// written before anything is made: delete finds them whatever point a
    /// SIGKILL stopped create at. Makes nothing.
    func plannedDirectories() -> [String]

    /// Makes the cgroup (crun's create_cgroup, runc's Apply without a pid).
    /// Returns what it made, for removeMade(_:) to undo exactly that and
    /// nothing the host had before; after a failure nothing it made is left.
    func create() throws -> [String]

    /// Undoes create(): removes what it returned, innermost first, waiting
    /// briefly for killed processes to leave. Never fails; what live
    /// processes still hold is left to them.
    func removeMade(_ made: [String])

    /// Writes linux.resources (nil: the defaults, such as v2's enabled
    /// controllers and the default device rules) into a cgroup create()
    /// made or found. Errors name the field under `prefix`. Not all or
    /// nothing: a failed create removes the cgroup anyway.
    func apply(_ resources: Resources?, prefix: String, logger: Logger) throws

    /// The directory a new process can be cloned straight into (clone3's
    /// CLONE_INTO_CGROUP), so it is never in the caller's cgroup; nil when
    /// the process must be moved in with add(pid:) after its birth.
    var cloneTarget: String? { get }

    /// Moves a process (the init) into the cgroup in every hierarchy.
    func add(pid: Int32) throws

    /// Whether the cgroup only comes to be in add(pid:), with its first
    /// process (systemd starts a scope with the pids it is given, as runc's
    /// Apply does): create then writes the resources after add(pid:), not
    /// after create().
    var startsWithPid: Bool { get }

    /// What a problem-free create of `resources` would still be refused for
    /// on this host (`check`): (field, reason) pairs. Reads, never writes.
    func problems(_ resources: Resources, logger: Logger) -> [(String, String)]

    // MARK: exec

    /// Where an exec'd process goes for exec's --cgroup arguments
    /// ([CONTROLLERS:]PATH, below the container's cgroup; none: the
    /// container's own). Checked before the process is made: a bad argument
    /// is refused before anything runs.
    func execTargets(_ arguments: [String]) throws -> [String]

    /// Moves an exec'd process into `targets` (from execTargets). Where
    /// cgroup v2 refuses processes in a cgroup whose children have
    /// controllers, the process joins the init's own cgroup below it.
    func add(pid: Int32, toExec targets: [String], initPid: Int32) throws

    // MARK: update

    /// Sets new resources in a live container, all or nothing: every write
    /// is decided before the first one, and a write the kernel refuses puts
    /// back what the earlier ones changed (the error says how far). Honours
    /// memory.checkBeforeUpdate. Device rules are left as create set them.
    func update(_ resources: Resources, logger: Logger) throws

    // MARK: freezer

    /// The file that says whether the container is paused (state.json's
    /// freezer); nil when the host has no freezer.
    var freezerFile: String? { get }

    /// What the freezer says now, from one read; nil without a freezer or
    /// when it cannot be read.
    var freezerState: FreezerState? { get }

    /// Freezes (true) or thaws every process of the cgroup and waits until
    /// the kernel says it is done; a freeze that times out is thawed again
    /// and is an error. Throws when there is no freezer.
    func freeze(_ on: Bool) throws

    /// Thaws without waiting, and without an error if it cannot: after
    /// SIGKILL, so that frozen processes run to die.
    func thaw()

    // MARK: stats

    /// The `data` of runc's stats event (events --stats).
    func stats() -> JSON

    /// The cgroup's memory usage in bytes, if the memory controller is there.
    func memoryUsage() -> UInt64?

    /// How many times the kernel's OOM killer has acted in the cgroup.
    func oomKillCount() -> UInt64

    // MARK: processes

    /// Every process in the cgroup and the child cgroups made inside it
    /// (systemd in a container, a nested engine), each once (runc's
    /// GetAllPids): ps and kill --all need them all.
    func pids() -> [Int32]

    /// Signals every process pids() lists, as they are read.
    func signalAll(_ signal: Int32)

    // MARK: delete

    /// Kills (SIGKILL) every process in `part`, some of `directories`
    /// (for delete: the ones the container owns, from the record), and in
    /// their child cgroups.
    func killAll(in part: [String])

    /// Removes, without waiting, whatever of the cgroup is already empty
    /// (most deletes follow a process that has exited); returns what is
    /// gone. Reads nothing: an rmdir is refused where processes or child
    /// cgroups are.
    func removeIfEmpty() -> Set<String>

    /// Removes the cgroup, child cgroups first, once empty: kills (SIGKILL)
    /// every process left in `own` (killAll(in:)) again each round, reaps
    /// what hako must reap, and waits, 5 s at most. A directory that live
    /// processes of others hold (one cgroupsPath shared by several
    /// containers, not in `own`) is left to them. Then removes the parents create made
    /// (`made`, from the intent record) if nothing else uses them. Skips
    /// `gone` (from removeIfEmpty). Returns what could not be removed.
    func destroy(own: [String], gone: Set<String>, made: [String]) -> [String]
}

/// The one place that chooses a driver.
public enum CgroupDrivers {
    /// The driver for a new container's cgroup at linux.cgroupsPath.
    public static func forCreate(cgroupsPath: String?, id: String) -> any CgroupDriver {
        Cgroup(layout: CgroupLayout.detect(), path: Cgroup.resolvePath(cgroupsPath, id: id))
    }

    /// The driver of a container that exists, from what create recorded:
    /// its path, its directories (none: no cgroup) and its freezer file.
    public static func recorded(path: String, directories: [String], freezer: String?) -> any CgroupDriver {
        Cgroup(recordedPath: path, directories: directories, freezer: freezer)
    }

    /// For a new container under --systemd-cgroup: linux.cgroupsPath is
    /// "slice:prefix:name" (UnitName). Throws on a bad path, a host that
    /// is not pure cgroup v2, or resources or org.systemd.property.*
    /// annotations that cannot be unit properties.
    public static func forSystemd(cgroupsPath: String?, id: String, resources: Resources?,
                                  annotations: [(String, String)] = []) throws -> any CgroupDriver {
        try SystemdCgroup(cgroupsPath: cgroupsPath, id: id, rootless: geteuid() != 0, layout: CgroupLayout.detect(),
                          resources: resources, annotations: annotations)
    }

    /// A container create made under --systemd-cgroup, from its record:
    /// the unit, besides what `recorded` takes.
    static func recorded(unit: String, path: String, directories: [String], freezer: String?) -> any CgroupDriver {
        SystemdCgroup(recordedUnit: unit, files: Cgroup(recordedPath: path, directories: directories, freezer: freezer))
    }

    /// For a create that could make no cgroup (rootless): a driver of nothing.
    static func none(path: String) -> any CgroupDriver {
        Cgroup(layout: .none, path: path)
    }
}
