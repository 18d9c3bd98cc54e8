// The messages of CRIU's RPC (/usr/include/criu/rpc.proto, criu 3.17) that
// checkpoint and restore send and read, with their field numbers. Only the fields
// hako sets or reads are here; the reader skips the others, so a newer
// criu's additions do not break it.

/// criu_req_type.
public enum CriuRequestType: Int32 {
    case empty = 0, dump = 1, restore = 2, check = 3, preDump = 4, pageServer = 5, notify = 6
    case cpuinfoDump = 7, cpuinfoCheck = 8, featureCheck = 9, version = 10, waitPid = 11
    case pageServerChild = 12, singlePreDump = 13
}

/// criu_cg_mode: what criu does with the cgroups it finds.
public enum CriuCgroupMode: Int32 {
    case ignore = 0, none = 1, props = 2, soft = 3, full = 4, strict = 5, `default` = 6
}

/// ext_mount_map: a mount criu leaves to the caller, named by `key` in the
/// images; on dump the value is ignored by criu, runc repeats the key.
public struct ExtMountMap: Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }

    func encoded() -> ProtobufWriter {
        var w = ProtobufWriter()
        w.string(1, key)
        w.string(2, value)
        return w
    }
}

/// inherit_fd: a descriptor of the caller's that criu uses for `key`.
public struct InheritFd: Equatable {
    public var key: String
    public var fd: Int32
    public init(key: String, fd: Int32) { self.key = key; self.fd = fd }

    func encoded() -> ProtobufWriter {
        var w = ProtobufWriter()
        w.string(1, key)
        w.int32(2, fd)
        return w
    }
}

/// cgroup_root: the cgroup criu takes as the root of what it dumps (for
/// `controller`, or every one when nil): criu(8) --cgroup-root.
public struct CgroupRoot: Equatable {
    public var controller: String?
    public var path: String
    public init(controller: String? = nil, path: String) { self.controller = controller; self.path = path }

    func encoded() -> ProtobufWriter {
        var w = ProtobufWriter()
        if let controller { w.string(1, controller) }
        w.string(2, path)
        return w
    }
}

/// criu_opts: nil and false fields are left out, so criu's defaults hold.
public struct CriuOpts: Equatable {
    public var imagesDirFd: Int32 = -1          // 1, required
    public var pid: Int32? = nil                // 2
    public var leaveRunning = false             // 3
    public var extUnixSk = false                // 4
    public var tcpEstablished = false           // 5
    /// Restore: device files are recreated by number, not looked up by path.
    public var evasiveDevices = false           // 6
    public var shellJob = false                 // 7
    public var fileLocks = false                // 8
    public var logLevel: Int32? = nil           // 9
    public var logFile: String? = nil           // 10
    public var notifyScripts = false            // 12
    public var root: String? = nil              // 13
    public var parentImage: String? = nil       // 14
    public var trackMemory = false              // 15
    public var autoDedup = false                // 16
    public var workDirFd: Int32? = nil          // 17
    public var extMounts: [ExtMountMap] = []    // 23
    public var manageCgroups = false            // 24
    public var cgroupRoots: [CgroupRoot] = []   // 25
    /// Restore: the restored init is the caller's child, not criu's.
    public var rstSibling = false               // 26
    public var inheritFds: [InheritFd] = []     // 27
    public var manageCgroupsMode: CriuCgroupMode? = nil // 34
    public var external: [String] = []         // 37
    public var emptyNamespaces: UInt32? = nil   // 38
    public var freezeCgroup: String? = nil      // 44
    public var lazyPages = false                // 48
    public var orphanPtsMaster = false          // 50
    public var lsmProfile: String? = nil        // 53
    public var lsmMountContext: String? = nil   // 63

    public init() {}

    public func encoded() -> ProtobufWriter {
        var w = ProtobufWriter()
        w.int32(1, imagesDirFd)
        if let pid { w.int32(2, pid) }
        flags(&w, [(3, leaveRunning), (4, extUnixSk), (5, tcpEstablished), (6, evasiveDevices), (7, shellJob), (8, fileLocks)])
        if let logLevel { w.int32(9, logLevel) }
        if let logFile { w.string(10, logFile) }
        flags(&w, [(12, notifyScripts)])
        if let root { w.string(13, root) }
        if let parentImage { w.string(14, parentImage) }
        flags(&w, [(15, trackMemory), (16, autoDedup)])
        if let workDirFd { w.int32(17, workDirFd) }
        for m in extMounts { w.message(23, m.encoded()) }
        flags(&w, [(24, manageCgroups)])
        for r in cgroupRoots { w.message(25, r.encoded()) }
        flags(&w, [(26, rstSibling)])
        for f in inheritFds { w.message(27, f.encoded()) }
        if let manageCgroupsMode { w.int32(34, manageCgroupsMode.rawValue) }
        for e in external { w.string(37, e) }
        if let emptyNamespaces { w.uint(38, UInt64(emptyNamespaces)) }
        if let freezeCgroup { w.string(44, freezeCgroup) }
        flags(&w, [(48, lazyPages), (50, orphanPtsMaster)])
        if let lsmProfile { w.string(53, lsmProfile) }
        if let lsmMountContext { w.string(63, lsmMountContext) }
        return w
    }

    /// Only the true ones: an unset bool and false mean the same to criu.
    private func flags(_ w: inout ProtobufWriter, _ fields: [(Int, Bool)]) {
        for (n, on) in fields where on { w.bool(n, true) }
    }
}

/// criu_req.
public struct CriuRequest: Equatable {
    public var type: CriuRequestType
    public var opts: CriuOpts?
    public var notifySuccess: Bool?
    public var keepOpen = false

    public init(type: CriuRequestType, opts: CriuOpts? = nil, notifySuccess: Bool? = nil) {
        self.type = type
        self.opts = opts
        self.notifySuccess = notifySuccess
    }

    public func encoded() -> [UInt8] {
        var w = ProtobufWriter()
        w.int32(1, type.rawValue)
        if let opts { w.message(2, opts.encoded()) }
        if let notifySuccess { w.bool(3, notifySuccess) }
        if keepOpen { w.bool(4, true) }
        return w.bytes
    }
}

/// criu_notify: criu stops at a point of its work (`script`: "pre-dump",
/// "post-dump", "network-lock"...) and waits for the caller's answer.
public struct CriuNotify: Equatable {
    public var script: String?
    public var pid: Int32?

    static func decode(_ bytes: ArraySlice<UInt8>) throws -> CriuNotify {
        var n = CriuNotify()
        var r = ProtobufReader(bytes)
        while let (field, value) = try r.next() {
            switch field {
            case 1: n.script = try value.string()
            case 2: n.pid = try value.int32()
            default: break
            }
        }
        return n
    }
}

/// criu_version: what VERSION answers.
public struct CriuVersion: Equatable {
    public var major: Int32
    public var minor: Int32
    public var sublevel: Int32?

    static func decode(_ bytes: ArraySlice<UInt8>) throws -> CriuVersion {
        var major: Int32?, minor: Int32?, sub: Int32?
        var r = ProtobufReader(bytes)
        while let (field, value) = try r.next() {
            switch field {
            case 1: major = try value.int32()
            case 2: minor = try value.int32()
            case 4: sub = try value.int32()
            default: break
            }
        }
        guard let major, let minor else { throw ProtobufError("criu_version without its required numbers") }
        return CriuVersion(major: major, minor: minor, sublevel: sub)
    }
}

/// criu_resp. `type` and `success` are required: a message without them
/// is not criu's answer.
public struct CriuResponse: Equatable {
    public var type: CriuRequestType
    public var success: Bool
    /// criu_dump_resp.restored: the dump was followed by a restore.
    public var restored: Bool?
    /// criu_restore_resp.pid: the restored init, in the caller's pid namespace.
    public var restoredPid: Int32?
    public var notify: CriuNotify?
    public var crErrno: Int32?
    public var crErrmsg: String?
    public var version: CriuVersion?

    public static func decode(_ bytes: [UInt8]) throws -> CriuResponse {
        var type: CriuRequestType?, success: Bool?
        var resp = CriuResponse(type: .empty, success: false)
        var r = ProtobufReader(bytes)
        while let (field, value) = try r.next() {
            switch field {
            case 1:
                let t = try value.int32()
                guard let known = CriuRequestType(rawValue: t) else { throw ProtobufError("unknown criu_resp type \(t)") }
                type = known
            case 2: success = try value.bool()
            case 3: resp.restored = try restored(value.data())
            case 4: resp.restoredPid = try firstInt32(value.data())
            case 5: resp.notify = try CriuNotify.decode(value.data())
            case 7: resp.crErrno = try value.int32()
            case 9: resp.crErrmsg = try value.string()
            case 10: resp.version = try CriuVersion.decode(value.data())
            default: break
            }
        }
        guard let type, let success else { throw ProtobufError("criu_resp without its required type and success") }
        resp.type = type
        resp.success = success
        return resp
    }

    /// Field 1 of a nested message (criu_restore_resp.pid, required there).
    static func firstInt32(_ bytes: ArraySlice<UInt8>) throws -> Int32 {
        var r = ProtobufReader(bytes)
        var pid: Int32?
        while let (field, value) = try r.next() {
            if field == 1 { pid = try value.int32() }
        }
        guard let pid else { throw ProtobufError("criu_restore_resp without its required pid") }
        return pid
    }

    static func restored(_ bytes: ArraySlice<UInt8>) throws -> Bool? {
        var r = ProtobufReader(bytes)
        var restored: Bool?
        while let (field, value) = try r.next() {
            if field == 1 { restored = try value.bool() }
        }
        return restored
    }
}
