// Per-container state under --root/ID/. Each command that changes a
// container takes an exclusive flock on its directory, so concurrent changes
// to one ID are serialised. Readers (state, list, ps, events) take no lock:
// state.json is only ever replaced whole (rename), so they never see it
// half-written, and they never wait on a create or on a hook, which may
// itself ask `hako state` about its container.
import Glibc

public struct StateStore {
    public let root: String

    public init(root: String) { self.root = root }

    /// --root's default: /run/hako for root; for another user, who cannot
    /// write /run, the per-user runtime directory, as runc and crun do. Root
    /// of a user namespace (podman's rootless mode calls the runtime so,
    /// without --root) counts as that user unless $USER says root.
    public static func defaultRoot(euid: uid_t, xdgRuntimeDir: String?, user: String?) -> String {
        let xdg = xdgRuntimeDir.flatMap { $0.isEmpty ? nil : $0 + "/hako" }
        if euid != 0 { return xdg ?? "/run/user/\(euid)/hako" }
        if let xdg, user != "root", Rootless.inUserNamespace() { return xdg }
        return "/run/hako"
    }

    /// An id names the state directory (and, by default, a cgroup): it must
    /// be one file name. The characters are runc's ^[\w+-\.]+$, whose
    /// "+-\." is the range + , - . ; the length is NAME_MAX.
    public static func validate(id: String) throws {
        let ok = !id.isEmpty && id != "." && id != ".." && id.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "_+,-.".unicodeScalars.contains($0)
        }
        if !ok { throw RuntimeError("invalid container id \"\(id)\": only letters, digits, _ + , - . are allowed") }
        if id.utf8.count > 255 {
            throw RuntimeError("invalid container id: \(id.utf8.count) bytes long, at most 255 (it names a directory)")
        }
    }

    /// Reserves a new id: fails if a container with that id exists.
    public func createLocked(id: String) throws -> ContainerDir {
        try StateStore.validate(id: id)
        if mkdir(root, 0o700) != 0, errno != EEXIST { try Files.makeDirectories(root, mode: 0o700) }
        let path = root + "/" + id
        if mkdir(path, 0o700) != 0 {
            if errno == EEXIST { throw RuntimeError("container with id \"\(id)\" already exists") }
            throw SystemError("mkdir \(path)")
        }
        return try ContainerDir(path: path, id: id)
    }

    public func openLocked(id: String) throws -> ContainerDir {
        try StateStore.validate(id: id)
        let path = root + "/" + id
        let dir = try ContainerDir(path: path, id: id)
        // A concurrent delete may have removed it while we waited for the
        // lock. Any directory still there is a container, made in full or
        // not (a create killed midway): only delete removes it.
        if dir.isRemoved {
            dir.unlock()
            throw RuntimeError("container \"\(id)\" does not exist")
        }
        return dir
    }

    /// The container's directory for reading only, without the lock.
    public func openForReading(id: String) throws -> ContainerDir {
        try StateStore.validate(id: id)
        let dir = try ContainerDir(path: root + "/" + id, id: id, lock: false)
        if !dir.hasState {
            dir.unlock()
            throw RuntimeError("container \"\(id)\" does not exist")
        }
        return dir
    }

    public func ids() -> [String] {
        Files.list(root).filter { !$0.hasBytePrefix("@") && Files.isDirectory(root + "/" + $0) }.sorted()
    }

    /// Where compiled seccomp filters are kept; "@" cannot start a container id.
    public var seccompCache: String { root + "/@seccomp" }
}

public struct ContainerDir {
    public let path: String
    public let id: String
    public let fd: Int32

    init(path: String, id: String, lock: Bool = true) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { throw RuntimeError("container \"\(id)\" does not exist") }
            throw SystemError("open \(path)")
        }
        if lock, retryEINTR({ flock(fd, LOCK_EX) }) != 0 {
            let e = SystemError("lock \(path)")
            Glibc.close(fd)
            throw e
        }
        self.path = path
        self.id = id
        self.fd = fd
    }

    var hasState: Bool { faccessat(fd, "state.json", F_OK, 0) == 0 }
    /// Removed (by a delete) since it was opened.
    var isRemoved: Bool {
        var st = stat()
        return fstat(fd, &st) != 0 || st.st_nlink == 0
    }
    public var fifoPath: String { path + "/exec.fifo" }
    /// Where the init tells `start` how its startContainer hooks went; only
    /// made when there are such hooks.
    public var hooksFifoPath: String { path + "/hooks.fifo" }

    public func read() throws -> ContainerState {
        let bytes: [UInt8]
        do { bytes = try Files.read("state.json", at: fd) } catch let e as SystemError where e.errno == ENOENT {
            throw RuntimeError("container \"\(id)\" was never fully created (its create was interrupted): delete it")
        }
        do { return try ContainerState(stored: Field(try JSON.parse(bytes))) } catch {
            throw RuntimeError("corrupt state for container \"\(id)\": \(error)")
        }
    }

    /// config.json as create read it. exec uses this copy, not the
    /// bundle's, which the engine may have changed or removed since; runc
    /// keeps its config in its state for the same reason, and restore will
    /// need it.
    func keepConfig(_ bytes: [UInt8]) throws {
        try Files.writeAtomically("config.json", bytes, at: fd)
    }

    /// The kept config; the bundle's only for a container made by a hako
    /// that kept none (one upgraded under a running container). A kept copy
    /// that cannot be read is an error: the bundle's may have changed since.
    func createdConfig(bundle: String) throws -> [UInt8] {
        do { return try Files.read("config.json", at: fd) } catch let e as SystemError where e.errno == ENOENT {
            return try Files.read(bundle + "/config.json")
        }
    }

    public func write(_ state: ContainerState) throws {
        try Files.writeAtomically("state.json", state.stored().serialized(), at: fd)
    }

    /// Removes the state directory; the lock goes with the descriptor.
    /// Its one subdirectory, NOTIFY_SOCKET's, holds only the socket.
    public func remove() {
        for name in Files.list(path) where unlinkat(fd, name, 0) != 0 && errno == EISDIR {
            for inner in Files.list(path + "/" + name) { unlinkat(fd, name + "/" + inner, 0) }
            unlinkat(fd, name, AT_REMOVEDIR)
        }
        rmdir(path)
        unlock()
    }

    public func unlock() { Glibc.close(fd) }
}
