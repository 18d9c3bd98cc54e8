// The calls a systemd cgroup driver makes to systemd's manager
// (org.freedesktop.systemd1.Manager, see org.freedesktop.systemd1(5)) and
// the signal it waits for, as D-Bus messages. Building them is kept apart
// from sending them so that the encoding is tested without systemd.
import Glibc

public enum SystemdManager {
    static let destination = "org.freedesktop.systemd1"
    static let path = "/org/freedesktop/systemd1"
    static let interface = "org.freedesktop.systemd1.Manager"

    /// What hako asks of a container's transient scope.
    public struct Scope: Equatable {
        /// The unit, "prefix-name.scope" (UnitName.unit).
        public var unit: String
        /// The slice it goes in (UnitName.slice).
        public var slice: String
        public var description: String
        /// The processes the scope starts with: the container's init.
        public var pids: [UInt32]
        /// Whether systemd hands the cgroup's subtree to hako (Delegate=yes):
        /// hako writes the resources and may make child cgroups.
        public var delegate = true
        /// Limits systemd keeps as the unit's own properties (MemoryMax=...,
        /// from SystemdManager.limit): without them a daemon-reload writes
        /// the unit's defaults over what hako wrote in its cgroup.
        public var limits: [DBusValue] = []
        /// Properties the config's annotations ask for (UnitAnnotations):
        /// after hako's own, which they may change, as runc's do, and
        /// before the limits, which linux.resources decides.
        public var annotated: [DBusValue] = []

        public init(unit: String, slice: String, description: String, pids: [UInt32]) {
            self.unit = unit
            self.slice = slice
            self.description = description
            self.pids = pids
        }

        /// The unit's properties, a(sv). Accounting is on so that systemd
        /// enables the memory, cpu and pids controllers down to the unit;
        /// DefaultDependencies=no keeps it out of shutdown ordering that
        /// would stop a container before its engine, as runc does.
        var properties: [DBusValue] {
            var pairs: [(String, DBusValue)] = [("Description", .string(description))]
            pairs += placement
            if !pids.isEmpty { pairs.append(("PIDs", .array(.uint32, pids.map { .uint32($0) }))) }
            for accounting in ["MemoryAccounting", "CPUAccounting", "TasksAccounting"] {
                pairs.append((accounting, .boolean(true)))
            }
            pairs.append(("DefaultDependencies", .boolean(false)))
            return pairs.map { SystemdManager.limit($0.0, $0.1) } + annotated + limits
        }

        /// Where the unit goes. A scope is put in its slice (Slice=) and
        /// delegated; a slice's parent follows from its name, so, as runc
        /// does, it only Wants= the slice, and is not delegated (systemd
        /// refuses Delegate= on slices).
        private var placement: [(String, DBusValue)] {
            if unit.hasByteSuffix(".slice") { return [("Wants", .array(.string, [.string(slice)]))] }
            return [("Slice", .string(slice)), ("Delegate", .boolean(delegate))]
        }
    }

    static let property = DBusType.structure([.string, .variant])

    /// StartTransientUnit(ssa(sv)a(sa(sv))): the scope, mode "replace" (a
    /// conflicting queued job is replaced, not failed on), its properties,
    /// no auxiliary units. The reply is the job's object path (startedJob).
    public static func startTransientUnit(_ scope: Scope) -> DBusMessage {
        manager("StartTransientUnit", [
            .string(scope.unit), .string("replace"), .array(property, scope.properties),
            .array(.structure([.string, .array(property)]), []),
        ])
    }

    /// One property, (sv), as StartTransientUnit and SetUnitProperties take it.
    public static func limit(_ name: String, _ value: DBusValue) -> DBusValue {
        .structure([.string(name), .variant(value)])
    }

    /// SetUnitProperties(sba(sv)), runtime only (not written to /etc):
    /// `update` changes what systemd keeps for the unit as well.
    public static func setUnitProperties(_ unit: String, _ properties: [DBusValue]) -> DBusMessage {
        manager("SetUnitProperties", [.string(unit), .boolean(true), .array(property, properties)])
    }

    /// StopUnit(ss): stops the scope, killing what is left in it.
    public static func stopUnit(_ unit: String) -> DBusMessage {
        manager("StopUnit", [.string(unit), .string("replace")])
    }

    /// ResetFailedUnit(s): forgets a scope that ended failed, so that its
    /// name can be used again.
    public static func resetFailedUnit(_ unit: String) -> DBusMessage {
        manager("ResetFailedUnit", [.string(unit)])
    }

    /// Subscribe(): systemd sends its manager's signals (JobRemoved among
    /// them) only once some client has subscribed.
    public static func subscribe() -> DBusMessage {
        manager("Subscribe", [])
    }

    /// The AddMatch rule for JobRemoved.
    public static let jobRemovedRule = "type='signal',sender='\(destination)',path='\(path)',interface='\(interface)',member='JobRemoved'"

    /// The job path in StartTransientUnit's or StopUnit's reply (o).
    public static func startedJob(_ reply: DBusMessage) throws -> String {
        guard reply.body.count == 1, case .objectPath(let job) = reply.body[0] else {
            throw DBusError("\(reply.signature) where a job's object path was expected")
        }
        return job
    }

    private static func manager(_ member: String, _ body: [DBusValue]) -> DBusMessage {
        .methodCall(destination: destination, path: path, interface: interface, member: member, body: body)
    }
}

/// The JobRemoved(uoss) signal: a job ended, with its result ("done",
/// "canceled", "timeout", "failed", "dependency", "skipped").
public struct JobRemoved: Equatable {
    public let id: UInt32
    public let job: String
    public let unit: String
    public let result: String

    /// nil for any other message; an error for a JobRemoved of another body.
    public init?(_ message: DBusMessage) throws {
        guard message.kind == .signal, message.interface == SystemdManager.interface,
              message.member == "JobRemoved" else { return nil }
        guard message.body.count == 4, case .uint32(let id) = message.body[0], case .objectPath(let job) = message.body[1],
              case .string(let unit) = message.body[2], case .string(let result) = message.body[3] else {
            throw DBusError("JobRemoved of signature \(message.signature), not uoss")
        }
        (self.id, self.job, self.unit, self.result) = (id, job, unit, result)
    }
}
