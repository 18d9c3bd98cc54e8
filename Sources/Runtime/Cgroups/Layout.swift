// Which cgroup layout the host has. Found with statfs on /sys/fs/cgroup and
// its subdirectories: cheaper than parsing /proc/self/mountinfo, which can
// hold thousands of lines on a busy host.
import CNamespaces
import Glibc

public enum CgroupLayout: Equatable {
    /// cgroup2 alone at the root.
    case unified(root: String)
    /// v1 hierarchies only.
    case legacy(hierarchies: [String])
    /// v1 hierarchies plus a cgroup2 tree (usually /sys/fs/cgroup/unified).
    case hybrid(hierarchies: [String], unified: String)
    /// No cgroup filesystem is mounted.
    case none

    static let cgroup2Magic = 0x6367_7270
    static let cgroup1Magic = 0x0027_E0EB

    public static func detect(base: String = "/sys/fs/cgroup") -> CgroupLayout {
        func magic(_ p: String) -> Int? {
            let t = hk_statfs_type(p)
            return t < 0 ? nil : t
        }
        if magic(base) == cgroup2Magic { return .unified(root: base) }
        var v1: [String] = []
        var v2: String? = nil
        for name in Files.list(base).sorted() {
            let p = base + "/" + name
            var st = stat()
            // Symlinks such as cpu -> cpu,cpuacct name the same hierarchy twice.
            guard lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            switch magic(p) {
            case cgroup1Magic: v1.append(p)
            case cgroup2Magic: v2 = p
            default: continue
            }
        }
        switch (v1.isEmpty, v2) {
        case (true, nil): return .none
        case let (true, u?): return .unified(root: u)
        case (false, nil): return .legacy(hierarchies: v1)
        case let (false, u?): return .hybrid(hierarchies: v1, unified: u)
        }
    }

    /// Every mounted hierarchy's root directory.
    public var roots: [String] {
        switch self {
        case let .unified(r): return [r]
        case let .legacy(h): return h
        case let .hybrid(h, u): return h + [u]
        case .none: return []
        }
    }

    public var name: String {
        switch self {
        case .unified: return "unified"
        case .legacy: return "legacy"
        case .hybrid: return "hybrid"
        case .none: return "none"
        }
    }
}
