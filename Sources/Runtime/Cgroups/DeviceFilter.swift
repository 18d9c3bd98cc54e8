// cgroup v2 has no devices files: access is decided by an eBPF program of
// type BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup. The
// kernel calls it with struct bpf_cgroup_dev_ctx { u32 access_type; u32
// major; u32 minor; }, access_type being (access << 16) | type; it returns
// 1 to allow, 0 to deny. hako emits the program itself: a few instructions
// per rule, checked newest rule first, so that the last match wins.
import CNamespaces
import Glibc

struct DeviceFilter {
    /// One eBPF instruction, laid out as struct bpf_insn.
    struct Instruction {
        var code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, off: Int16 = 0, imm: Int32 = 0
        var packed: UInt64 {
            UInt64(code) | UInt64(dst & 0xF) << 8 | UInt64(src & 0xF) << 12
                | UInt64(UInt16(bitPattern: off)) << 16 | UInt64(UInt32(bitPattern: imm)) << 32
        }
    }

    // Opcodes, from the kernel's headers through the shim.
    static let ldxW = HK_EBPF_LDX_MEM_W, andK = HK_EBPF_ALU_AND_K, rshK = HK_EBPF_ALU_RSH_K
    static let movX = HK_EBPF_ALU_MOV_X, movK = HK_EBPF_ALU_MOV_K
    static let jneK = HK_EBPF_JNE_K, jeqK = HK_EBPF_JEQ_K, exit = HK_EBPF_EXIT

    static let allAccess = HK_BPF_DEVCG_ACC_MKNOD | HK_BPF_DEVCG_ACC_READ | HK_BPF_DEVCG_ACC_WRITE

    // Registers: r1 the context; r2 type, r3 access, r4 major, r5 minor.
    static func access(_ letters: String?) -> Int32 {
        var a: Int32 = 0
        for c in letters ?? "rwm" {
            switch c {
            case "m": a |= HK_BPF_DEVCG_ACC_MKNOD
            case "r": a |= HK_BPF_DEVCG_ACC_READ
            case "w": a |= HK_BPF_DEVCG_ACC_WRITE
            default: break
            }
        }
        return a
    }

    static func program(_ rules: [Resources.DeviceRule]) -> [Instruction] {
        var p: [Instruction] = [
            Instruction(code: ldxW, dst: 2, src: 1, off: 0),
            Instruction(code: andK, dst: 2, imm: 0xFFFF),
            Instruction(code: ldxW, dst: 3, src: 1, off: 0),
            Instruction(code: rshK, dst: 3, imm: 16),
            Instruction(code: ldxW, dst: 4, src: 1, off: 4),
            Instruction(code: ldxW, dst: 5, src: 1, off: 8),
        ]
        for rule in rules.reversed() {
            var checks: [Instruction] = []
            // Each check jumps past the rest of this rule's block on a mismatch;
            // offsets are filled in once the block's length is known.
            switch rule.type ?? "a" {
            case "c": checks.append(Instruction(code: jneK, dst: 2, imm: HK_BPF_DEVCG_DEV_CHAR))
            case "b": checks.append(Instruction(code: jneK, dst: 2, imm: HK_BPF_DEVCG_DEV_BLOCK))
            default: break
            }
            let acc = access(rule.access)
            if acc != allAccess {
                checks.append(Instruction(code: movX, dst: 1, src: 3))
                if rule.allow {
                    // Allowed when every requested access is in the rule.
                    checks.append(Instruction(code: andK, dst: 1, imm: ~acc & allAccess))
                    checks.append(Instruction(code: jneK, dst: 1, imm: 0))
                } else {
                    // Denied when any requested access is in the rule.
                    checks.append(Instruction(code: andK, dst: 1, imm: acc))
                    checks.append(Instruction(code: jeqK, dst: 1, imm: 0))
                }
            }
            if let major = rule.anyMajor { checks.append(Instruction(code: jneK, dst: 4, imm: Int32(truncatingIfNeeded: major))) }
            if let minor = rule.anyMinor { checks.append(Instruction(code: jneK, dst: 5, imm: Int32(truncatingIfNeeded: minor))) }
            let verdict = [Instruction(code: movK, dst: 0, imm: rule.allow ? 1 : 0), Instruction(code: exit)]
            for i in checks.indices where checks[i].code == jneK || checks[i].code == jeqK {
                checks[i].off = Int16(checks.count - 1 - i + verdict.count)
            }
            p += checks + verdict
            // A rule that matches everything decides alone: older rules and
            // the default would be unreachable, which the verifier refuses.
            if checks.isEmpty { return p }
        }
        // Nothing matched: deny.
        p += [Instruction(code: movK, dst: 0, imm: 0), Instruction(code: exit)]
        return p
    }

    /// Loads the program and attaches it to the cgroup directory, replacing
    /// programs hako attached before (on `update`).
    static func attach(_ rules: [Resources.DeviceRule], cgroupDir: String) throws {
        let insns = program(rules).map(\.packed)
        var log = [CChar](repeating: 0, count: 4096)
        let prog = insns.withUnsafeBufferPointer { hk_bpf_load_device_program($0.baseAddress, UInt32($0.count), &log, UInt32(log.count)) }
        if prog < 0 {
            let e = errno
            throw RuntimeError("load the cgroup v2 device filter (eBPF): \(SystemError.describe(e)) \(String(cText: log))")
        }
        defer { close(prog) }
        let dir = open(cgroupDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir < 0 { throw SystemError("open \(cgroupDir)") }
        defer { close(dir) }
        // Earlier filters of this cgroup (from create, before an update) are replaced.
        var old = [UInt32](repeating: 0, count: 64)
        let count = hk_bpf_query_device_programs(dir, &old, UInt32(old.count))
        try sys(hk_bpf_attach_device_program(dir, prog), "attach the device filter to \(cgroupDir)")
        if count > 0 {
            for id in old[0..<Int(count)] { _ = hk_bpf_detach_device_program_id(dir, id) }
        }
    }
}
