// The delete operation (runtime.md "Delete"): everything create made goes,
// from state.json or, for a create that never finished, from the intent
// record; then the poststop hooks.
import CNamespaces
import Glibc

extension Runtime {
    public func delete(id: String, force: Bool) throws {
        if force { stopCreator(id: id) }
        let dir: ContainerDir
        do { dir = try store.openLocked(id: id) } catch {
            // containerd's shim deletes with --force after delete: not an error.
            if force, !Files.isDirectory(store.root + "/" + id) {
                try StateStore.validate(id: id)
                return
            }
            throw error
        }
        let (s, st): (ContainerState, Status)
        do { (s, st) = try inspect(dir) } catch {
            // Damaged, and no intent record to say what to kill: runc's answer.
            dir.unlock()
            throw RuntimeError("\(error): cannot tell which processes and cgroups are the container's; state kept")
        }
        let complete = (try? dir.read()) != nil
        if st != .stopped, !force {
            dir.unlock()
            throw RuntimeError("cannot delete container \"\(id)\" that is not stopped: \(st.rawValue)")
        }
        // Only what lies in the recorded cgroup's bounds (CgroupBounds.swift).
        // One look at the host's hierarchies serves both (each is a directory list and a statfs per mount).
        let layout = CgroupLayout.detect()
        let failures = tearDown(s.confined(layout), intent: dir.readIntent()?.confined(layout), complete: complete)
        if !failures.isEmpty {
            dir.unlock()
            throw RuntimeError("cannot delete container \"\(id)\": \(failures.joined(by: "; ")); state kept for another delete --force")
        }
        if complete, let hooks = try? Field(s.poststop, path: "hooks.poststop").array().map(Hook.init) {
            HookRunner(state: s.ociJSON(status: .stopped)).runAll(hooks, kind: "poststop", logger: logger)
        } else if dir.hasState {
            // The hooks were only in the damaged file: say so, not silently skip them.
            logger.warn("container \"\(id)\": removed from its intent record; state.json is damaged, so its poststop hooks (if any) were not run")
        }
        dir.remove()
    }

    /// delete --force of a container still being created: its create holds
    /// the lock, and may sit in a hook for as long as the hook likes. The
    /// creator is killed (through a pidfd, once its start time is checked),
    /// so the lock comes free at once, and tearDown kills what is left of
    /// the hook's group. runc and crun answer at once too.
    func stopCreator(id: String) {
        guard (try? StateStore.validate(id: id)) != nil,
              let dir = try? ContainerDir(path: store.root + "/" + id, id: id, lock: false) else { return }
        defer { dir.unlock() }
        // Most deletes follow a create whose hako is long gone: the record
        // says so before state.json need be read.
        guard let intent = dir.readIntent(), intent.creatorAlive, intent.creator.pid != getpid(),
              let (_, st) = try? inspect(dir), st == .creating else { return }
        let pidfd = hk_pidfd_open(intent.creator.pid, 0)
        guard pidfd >= 0 else { return }
        defer { close(pidfd) }
        guard CreateIntent.alive(intent.creator.pid, intent.creator.startTime) else { return }
        _ = hk_pidfd_send_signal(pidfd, SIGKILL)
        var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        _ = retryEINTR { poll(&p, 1, 5_000) }
    }

    /// Removes what the container made, from state.json or, for a create
    /// that never finished or a damaged state.json, from the intent record:
    /// kills its processes, waits for its cgroups to empty, detaches the
    /// rootfs bind, removes its cgroups. Returns what could not be done.
    func tearDown(_ s: ContainerState, intent: CreateIntent?, complete: Bool) -> [String] {
        var failures: [String] = []
        // Recorded before a reboot: what it names died with that kernel, and
        // a cgroup or pid of the same name now is someone else's.
        if let intent, !intent.thisBoot { return [] }
        // Every process is killed in a cgroup that is the container's own:
        // one its create made. A cgroup that existed before (one the bundle
        // merely named) is shared with whoever was there, pid namespace or
        // not, and those are not the container's to kill (the cold attack's
        // finding A: a host sleep died and its cgroups went).
        var killable: [String] = []
        if let intent { killable = intent.ownCgroups }
        let initPid = s.pid
        let pidfd = initPid > 0 ? hk_pidfd_open(initPid, 0) : -1
        defer { if pidfd >= 0 { close(pidfd) } }
        let sameInit = pidfd >= 0 && CreateIntent.alive(initPid, s.pidStartTime)
        // Most deletes follow a process that has exited: its cgroups are
        // empty then and go at the first rmdir, without reading who is in
        // each hierarchy (rmdir refuses a cgroup with processes or children).
        let cgroup = s.cgroup
        let gone = sameInit ? [] : cgroup.removeIfEmpty()
        killable.removeAll { gone.contains($0) }
        if sameInit { _ = hk_pidfd_send_signal(pidfd, SIGKILL) }
        cgroup.killAll(in: killable)
        if let intent, !intent.creatorAlive { failures += Runtime.killHook(intent) }
        cgroup.thaw()
        if sameInit {
            var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            if retryEINTR({ poll(&p, 1, 10_000) }) != 1 { failures.append("init \(initPid) did not exit after SIGKILL") }
        }
        if let bind = s.rootfsBind, !s.rootfs.isEmpty, let failure = bind.detach(at: s.rootfs) {
            failures.append(failure)
        }
        // Removed, child cgroups first, once empty (CgroupDriver.destroy).
        failures += cgroup.destroy(own: killable, gone: gone, made: intent?.made ?? [])
        return failures
    }

    /// Kills what is left of a hook the dead creator was running (the
    /// kernel killed the hook itself with its parent; its children live
    /// on in its process group) and waits for them, bounded: 5 s.
    static func killHook(_ intent: CreateIntent) -> [String] {
        var left = intent.hookProcesses
        var rounds = 0
        while !left.isEmpty, rounds < 1000 {
            for pid in left { Glibc.kill(pid, SIGKILL) }
            while waitpid(-1, nil, WNOHANG) > 0 {}
            usleep(5000)
            rounds += 1
            left = intent.hookProcesses
        }
        return left.isEmpty ? [] : ["hook processes \(left.map { String(decimal: $0) }.joined(by: " ")) did not exit after SIGKILL"]
    }
}
