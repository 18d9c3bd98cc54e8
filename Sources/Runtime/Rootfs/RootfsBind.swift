// A container without a mount namespace of its own mounts in hako's: its
// mounts sit on a bind of the rootfs onto itself (Init.swift), which
// `delete` detaches, and with it every mount on top.
//
// `delete` finds that bind by the rootfs's path, and the path is the bundle
// owner's: after create, they can swap the rootfs (or any directory on the
// way to it) for a symlink to / or /proc. Detaching whatever is mounted at
// the path, as hako did, then took host mounts off (the cold attack's
// finding D). So create records which directory the rootfs is (its device
// and inode) and the mount it was on, and delete detaches a mount only when
// the path, opened once, is that very directory on a mount above that one;
// the detach goes through the same descriptor (/proc/self/fd/N), so what
// was checked is what is detached. A swapped path detaches nothing and
// delete says the rootfs is still mounted.
import CNamespaces
import Glibc

public struct RootfsBind: Equatable {
    /// The mount the rootfs directory was on before the init's bind.
    public var below: Int
    /// The rootfs directory itself; its bind shows the same.
    public var device: UInt64
    public var inode: UInt64

    public init(below: Int, device: UInt64, inode: UInt64) {
        self.below = below
        self.device = device
        self.inode = inode
    }

    /// What the rootfs is at create, before the init binds it.
    static func record(_ rootfs: String) throws -> RootfsBind {
        let fd = open(rootfs, HK_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open \(rootfs)") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, let below = Files.mountID(fd: fd) else { throw SystemError("find the mount of \(rootfs)") }
        return RootfsBind(below: below, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// Detaches the binds on the rootfs (each detach takes one, with all
    /// mounts on it; at most 16); nil when none is left, else why.
    func detach(at rootfs: String) -> String? {
        for _ in 0..<16 {
            let fd = open(rootfs, HK_O_PATH | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { return nil }  // gone with the bundle: nothing of ours to reach there
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0, UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode else {
                return "\(rootfs) is no longer the directory create mounted on; its mounts were left"
            }
            guard let now = Files.mountID(fd: fd) else { return "cannot find the mount of \(rootfs)" }
            if now == below { return nil }
            if hk_umount2("/proc/self/fd/\(fd)", HK_MNT_DETACH) != 0 {
                return "\(rootfs) is still mounted: \(SystemError("umount", errno: errno))"
            }
        }
        return "\(rootfs) is still mounted"
    }

    // One line of the intent record: "rootfs-bind BELOW DEVICE INODE".
    var recordValue: String { "\(below) \(device) \(inode)" }

    init?(recordValue: String) {
        let n = recordValue.split(byte: UInt8(ascii: " "))
        guard n.count == 3, let below = Int(n[0]), let device = UInt64(n[1]), let inode = UInt64(n[2]) else { return nil }
        self.init(below: below, device: device, inode: inode)
    }

    // state.json's "rootfsBind".
    var json: JSON { .object([("below", .int(below)), ("device", .int(device)), ("inode", .int(inode))]) }

    init(stored f: Field) throws {
        self.init(below: try f.required("below").integer(), device: try f.required("device").integer(),
                  inode: try f.required("inode").integer())
    }
}
