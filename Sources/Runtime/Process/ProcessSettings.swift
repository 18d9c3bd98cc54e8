// The process settings that are one system call each: scheduler
// (sched_setattr), I/O priority (ioprio_set), CPU affinity
// (sched_setaffinity), NUMA memory policy (set_mempolicy) and personality.
// Names are checked when config.json is read; here they are applied, in
// the init or the exec'd process, just before the user program.
import CNamespaces
import Glibc

enum ProcessSettings {
    static let schedPolicies: [String: UInt32] = [
        "SCHED_OTHER": 0, "SCHED_FIFO": 1, "SCHED_RR": 2, "SCHED_BATCH": 3, "SCHED_ISO": 4,
        "SCHED_IDLE": 5, "SCHED_DEADLINE": 6,
    ]
    static let schedFlags: [String: UInt64] = [
        "SCHED_FLAG_RESET_ON_FORK": 0x01, "SCHED_FLAG_RECLAIM": 0x02, "SCHED_FLAG_DL_OVERRUN": 0x04,
        "SCHED_FLAG_KEEP_POLICY": 0x08, "SCHED_FLAG_KEEP_PARAMS": 0x10, "SCHED_FLAG_UTIL_CLAMP_MIN": 0x20,
        "SCHED_FLAG_UTIL_CLAMP_MAX": 0x40,
    ]
    static let ioClasses: [String: Int32] = ["IOPRIO_CLASS_RT": 1, "IOPRIO_CLASS_BE": 2, "IOPRIO_CLASS_IDLE": 3]
    static let personalities: [String: UInt] = ["LINUX": HK_PER_LINUX, "LINUX32": HK_PER_LINUX32]
    static let memoryModes: [String: Int32] = [
        "MPOL_DEFAULT": 0, "MPOL_PREFERRED": 1, "MPOL_BIND": 2, "MPOL_INTERLEAVE": 3, "MPOL_LOCAL": 4,
        "MPOL_PREFERRED_MANY": 5, "MPOL_WEIGHTED_INTERLEAVE": 6,
    ]
    static let memoryFlags: [String: Int32] = [
        "MPOL_F_NUMA_BALANCING": 1 << 13, "MPOL_F_RELATIVE_NODES": 1 << 14, "MPOL_F_STATIC_NODES": 1 << 15,
    ]

    /// "0-3,7" as a bitmap whose length is a multiple of 8 bytes, or nil
    /// when it is not such a list (or names a bit past 4095).
    static func bitmap(_ list: String) -> [UInt8]? {
        var bits: [UInt8] = []
        for part in list.split(separator: ",") {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { Int(String($0).trimmingWhitespace) }
            guard ends.count <= 2, let lo = ends.first ?? nil, let hi = ends.last ?? nil, lo >= 0, lo <= hi, hi < 4096 else { return nil }
            if bits.count < (hi / 64 + 1) * 8 { bits += [UInt8](repeating: 0, count: (hi / 64 + 1) * 8 - bits.count) }
            for b in lo...hi { bits[b / 8] |= 1 << UInt8(b % 8) }
        }
        return bits.isEmpty ? nil : bits
    }

    /// What only a process can set on itself, and its children inherit:
    /// personality and memory policy.
    static func applyOwn(_ process: Process, linux: Linux?) throws {
        if let p = linux?.personality, let domain = personalities[p.domain] {
            if hk_personality(domain) < 0 { throw SpecError("linux.personality", SystemError("personality").description) }
        }
        if let m = linux?.memoryPolicy {
            if m.nodes.withUnsafeBufferPointer({ hk_set_mempolicy(m.mode, $0.baseAddress, $0.count) }) < 0 {
                throw SpecError("linux.memoryPolicy", SystemError("set_mempolicy").description)
            }
        }
    }

    /// Scheduler and I/O priority, of process `pid` (0: the caller). Both
    /// may need CAP_SYS_NICE, which the process may not keep; and neither
    /// may be set before a fork that must inherit it (SCHED_DEADLINE
    /// cannot fork, SCHED_FLAG_RESET_ON_FORK is not inherited). So exec's
    /// process, which is cloned after its user switch, gets them from hako.
    static func applyScheduling(_ process: Process, pid: Int32 = 0) throws {
        if let s = process.scheduler {
            let flags = s.flags.reduce(UInt64(0)) { $0 | (schedFlags[$1] ?? 0) }
            if hk_sched_setattr(pid, schedPolicies[s.policy] ?? 0, flags, s.nice, UInt32(bitPattern: s.priority), s.runtime, s.deadline, s.period) < 0 {
                let e = errno
                var why = SystemError("sched_setattr", errno: e).description
                // The kernel's EPERM names neither cause; engines' users need both.
                if e == EPERM, ["SCHED_FIFO", "SCHED_RR", "SCHED_DEADLINE"].contains(s.policy) {
                    why += " (\(s.policy) needs CAP_SYS_NICE and, where the kernel groups realtime tasks by cgroup (cgroup v1 cpu.rt_runtime_us), a realtime budget in the container's cgroup and each parent: linux.resources.cpu.realtimeRuntime)"
                }
                throw SpecError("process.scheduler", why)
            }
        }
        if let io = process.ioPriority {
            if hk_ioprio_set(pid, ((ioClasses[io.ioClass] ?? 0) << 13) | io.priority) < 0 {
                throw SpecError("process.ioPriority", SystemError("ioprio_set").description)
            }
        }
    }

    /// What hako sets from outside on a process born as its user (exec's,
    /// a pod's init), by its pid: the scheduling above and oom_score_adj,
    /// whose file that process's helper cannot name: /proc there is of a
    /// pid namespace the helper is not in, and has no /proc/self for it.
    static func applyByPid(_ process: Process, pid: Int32) throws {
        if let o = process.oomScoreAdj { try Credentials.setOOMScoreAdj(o, pid: pid) }
        try applyScheduling(process, pid: pid)
    }

    /// process.execCPUAffinity.initial (in the runtime, before the move
    /// into the container's cgroup) or .final (just before execve).
    static func setAffinity(_ list: String?, field: String) throws {
        guard let list, let bits = bitmap(list) else { return }
        if bits.withUnsafeBufferPointer({ hk_sched_setaffinity($0.baseAddress, $0.count) }) < 0 {
            throw SpecError("process.execCPUAffinity.\(field)", SystemError("sched_setaffinity \(list)").description)
        }
    }
}
