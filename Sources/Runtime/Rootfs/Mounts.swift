// Mount options (config.md "Mounts", the options of mount(8)) as mount(2)
// flags, propagation changes, recursive attributes and filesystem data.

import CNamespaces

/// MS_* for mount(2), from the C library's headers (CNamespaces).
public enum MountFlag {
    public static let rdonly = HK_MS_RDONLY, nosuid = HK_MS_NOSUID, nodev = HK_MS_NODEV, noexec = HK_MS_NOEXEC
    public static let synchronous = HK_MS_SYNCHRONOUS, remount = HK_MS_REMOUNT, mandlock = HK_MS_MANDLOCK
    public static let dirsync = HK_MS_DIRSYNC, nosymfollow = HK_MS_NOSYMFOLLOW, noatime = HK_MS_NOATIME
    public static let nodiratime = HK_MS_NODIRATIME, bind = HK_MS_BIND, move = HK_MS_MOVE, rec = HK_MS_REC
    public static let silent = HK_MS_SILENT, unbindable = HK_MS_UNBINDABLE, `private` = HK_MS_PRIVATE
    public static let slave = HK_MS_SLAVE, shared = HK_MS_SHARED, relatime = HK_MS_RELATIME
    public static let iversion = HK_MS_I_VERSION, strictatime = HK_MS_STRICTATIME, lazytime = HK_MS_LAZYTIME
}

/// MOUNT_ATTR_* for mount_setattr(2), used by the recursive options (rro, ...).
public enum MountAttr {
    public static let rdonly = HK_MOUNT_ATTR_RDONLY, nosuid = HK_MOUNT_ATTR_NOSUID, nodev = HK_MOUNT_ATTR_NODEV
    public static let noexec = HK_MOUNT_ATTR_NOEXEC, atimeMask = HK_MOUNT_ATTR__ATIME, relatime = HK_MOUNT_ATTR_RELATIME
    public static let noatime = HK_MOUNT_ATTR_NOATIME, strictatime = HK_MOUNT_ATTR_STRICTATIME
    public static let nodiratime = HK_MOUNT_ATTR_NODIRATIME, nosymfollow = HK_MOUNT_ATTR_NOSYMFOLLOW
}

public struct MountOptions {
    public var flags: UInt = 0
    public var propagation: [UInt] = []
    public var attrSet: UInt64 = 0
    public var attrClear: UInt64 = 0
    public var data: [String] = []
    /// idmap or ridmap (config.md): the bind is an idmapped mount, of its
    /// top only or of every mount below it too.
    public var idmap: Idmap? = nil
    public enum Idmap { case top, recursive }
    /// tmpcopyup: a tmpfs starts with the contents of the directory it covers (CopyUp.swift).
    public var tmpcopyup = false
    public var isBind: Bool { flags & MountFlag.bind != 0 }
    public var isRecursive: Bool { flags & MountFlag.rec != 0 }

    /// option -> (clear?, flag)
    static let flagTable: [String: (Bool, UInt)] = [
        "async": (true, MountFlag.synchronous), "atime": (true, MountFlag.noatime),
        "bind": (false, MountFlag.bind), "defaults": (false, 0), "dev": (true, MountFlag.nodev),
        "diratime": (true, MountFlag.nodiratime), "dirsync": (false, MountFlag.dirsync),
        "exec": (true, MountFlag.noexec), "iversion": (false, MountFlag.iversion),
        "lazytime": (false, MountFlag.lazytime), "loud": (true, MountFlag.silent),
        "mand": (false, MountFlag.mandlock), "noatime": (false, MountFlag.noatime),
        "nodev": (false, MountFlag.nodev), "nodiratime": (false, MountFlag.nodiratime),
        "noexec": (false, MountFlag.noexec), "noiversion": (true, MountFlag.iversion),
        "nolazytime": (true, MountFlag.lazytime), "nomand": (true, MountFlag.mandlock),
        "norelatime": (true, MountFlag.relatime), "nostrictatime": (true, MountFlag.strictatime),
        "nosuid": (false, MountFlag.nosuid), "nosymfollow": (false, MountFlag.nosymfollow),
        "rbind": (false, MountFlag.bind | MountFlag.rec), "relatime": (false, MountFlag.relatime),
        "remount": (false, MountFlag.remount), "ro": (false, MountFlag.rdonly), "rw": (true, MountFlag.rdonly),
        "silent": (false, MountFlag.silent), "strictatime": (false, MountFlag.strictatime),
        "suid": (true, MountFlag.nosuid), "sync": (false, MountFlag.synchronous),
        "symfollow": (true, MountFlag.nosymfollow),
    ]

    public static let propagation: [String: UInt] = [
        "private": MountFlag.private, "rprivate": MountFlag.private | MountFlag.rec,
        "shared": MountFlag.shared, "rshared": MountFlag.shared | MountFlag.rec,
        "slave": MountFlag.slave, "rslave": MountFlag.slave | MountFlag.rec,
        "unbindable": MountFlag.unbindable, "runbindable": MountFlag.unbindable | MountFlag.rec,
    ]

    /// option -> (clear?, attribute)
    static let recursiveTable: [String: (Bool, UInt64)] = [
        "rro": (false, MountAttr.rdonly), "rrw": (true, MountAttr.rdonly),
        "rnosuid": (false, MountAttr.nosuid), "rsuid": (true, MountAttr.nosuid),
        "rnodev": (false, MountAttr.nodev), "rdev": (true, MountAttr.nodev),
        "rnoexec": (false, MountAttr.noexec), "rexec": (true, MountAttr.noexec),
        "rnodiratime": (false, MountAttr.nodiratime), "rdiratime": (true, MountAttr.nodiratime),
        "rrelatime": (false, MountAttr.relatime), "rnorelatime": (true, MountAttr.relatime),
        "rnoatime": (false, MountAttr.noatime), "ratime": (true, MountAttr.noatime),
        "rstrictatime": (false, MountAttr.strictatime), "rnostrictatime": (true, MountAttr.strictatime),
        "rnosymfollow": (false, MountAttr.nosymfollow), "rsymfollow": (true, MountAttr.nosymfollow),
    ]

    public init(_ options: [String], path: String = "options") throws {
        for o in options {
            if let (clear, f) = MountOptions.flagTable[o] {
                if clear { flags &= ~f } else { flags |= f }
            } else if let p = MountOptions.propagation[o] {
                propagation.append(p)
            } else if let (clear, a) = MountOptions.recursiveTable[o] {
                if a == MountAttr.relatime || a == MountAttr.noatime || a == MountAttr.strictatime {
                    attrClear |= MountAttr.atimeMask
                }
                if clear { attrClear |= a; attrSet &= ~a } else { attrSet |= a }
            } else if o == "tmpcopyup" {
                tmpcopyup = true
            } else if o == "idmap" || o == "ridmap" {
                idmap = o == "idmap" ? .top : .recursive
            } else {
                data.append(o)
            }
        }
    }
}
