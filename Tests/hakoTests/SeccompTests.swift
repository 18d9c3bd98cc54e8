// config-linux.md "Seccomp": real filters, asserted from the container's
// side; the notify listener; and the compiled-filter cache.
import CTestSupport
import Foundation
import HakoRuntime
import XCTest

final class SeccompTests: ContainerTestCase {
    func profile(_ syscalls: [String], default action: String = "SCMP_ACT_ALLOW", extra: [(String, JSON)] = []) throws -> JSON {
        try JSON.parse("""
            {"defaultAction": "\(action)", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
             "syscalls": [\(syscalls.joined(separator: ","))]}
            """).merging(extra)
    }

    func inside(_ script: String, profile: JSON, name: String = #function) -> String {
        inside(script, name: name) { $0[["linux", "seccomp"]] = profile }
    }

    func testErrnoBlocksMkdirWithEPERM() throws {
        let p = try profile([#"{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}"#])
        XCTAssertEqual(inside("mkdir /dev/shm/d 2>&1; echo $?; ls /dev/shm", profile: p),
                       "mkdir: can't create directory '/dev/shm/d': Operation not permitted\n1")
    }

    func testErrnoRetPicksTheErrno() throws {
        let p = try profile([#"{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}"#])
        XCTAssertEqual(inside("mkdir /dev/shm/d 2>&1; true", profile: p),
                       "mkdir: can't create directory '/dev/shm/d': Invalid cross-device link")
    }

    func testKillProcessEndsWithSIGSYS() throws {
        // mkdir is the container's process itself, so its death is the container's exit.
        let b = bundle(args: ["mkdir", "/dev/shm/d"]) { c in
            c[["linux", "seccomp"]] = try! self.profile([#"{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}"#])
        }
        let r = b.run()
        XCTAssertEqual(r.code, 159, "128 + SIGSYS: \(r.err)")
    }

    func testArgumentFilterBlocksChmod700Only() throws {
        // chmod(2) and fchmodat(2) carry the mode in different arguments.
        let p = try profile([
            #"{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}]}"#,
            #"{"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 2, "value": 448, "op": "SCMP_CMP_EQ"}]}"#,
        ])
        XCTAssertEqual(inside("chmod 700 /dev/shm; echo $?; chmod 755 /dev/shm; echo $?", profile: p), "1\n0")
        // SCMP_CMP_MASKED_EQ: any mode with group-write set is refused.
        let masked = try profile([
            #"{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 16, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]}"#,
            #"{"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 2, "value": 16, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]}"#,
        ])
        XCTAssertEqual(inside("chmod 775 /dev/shm; echo $?; chmod 755 /dev/shm; echo $?", profile: masked, name: "masked"), "1\n0")
    }

    func testDefaultErrnoRetWithAnAllowList() throws {
        // Everything not listed fails with defaultErrnoRet (ENOSYS here),
        // while the shell and its tools run on what is allowed.
        let allowed = ["read", "write", "open", "openat", "close", "fstat", "newfstatat", "stat", "lstat", "statx",
                       "mmap", "munmap", "mprotect", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl",
                       "access", "faccessat", "faccessat2", "execve", "exit", "exit_group", "getpid", "getppid", "fork",
                       "vfork", "clone", "clone3", "wait4", "getuid", "geteuid", "getgid", "getegid", "dup", "dup2", "dup3",
                       "fcntl", "getcwd", "chdir", "set_tid_address", "set_robust_list", "prlimit64", "arch_prctl",
                       "getrandom", "rseq", "readlink", "lseek", "pipe", "pipe2", "getdents64", "futex", "uname",
                       "sysinfo", "getpgrp", "setpgid", "getpgid", "capset", "capget", "setsid"]
        let list = allowed.map { "\"\($0)\"" }.joined(separator: ",")
        let p = try profile([#"{"names": [\#(list)], "action": "SCMP_ACT_ALLOW"}"#], default: "SCMP_ACT_ERRNO",
                            extra: [("defaultErrnoRet", .int(38))])
        XCTAssertEqual(inside("mkdir /dev/shm/d 2>&1; echo $?", profile: p),
                       "mkdir: can't create directory '/dev/shm/d': Function not implemented\n1")
    }

    func testFilterWithoutNoNewPrivsKeepsTheConfiguredCapabilities() throws {
        // Without no_new_privs the install needs CAP_SYS_ADMIN, which hako
        // holds until the filter is on and then drops: it must not leak.
        let p = try profile([#"{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}"#])
        let out = inside("mkdir /dev/shm/d 2>/dev/null; echo $?; grep -E '^Cap(Prm|Eff)' /proc/self/status | tr '\\t' ' '") { c in
            c[["linux", "seccomp"]] = p
            c[["process", "noNewPrivileges"]] = .bool(false)
        }
        XCTAssertEqual(out, "1\nCapPrm: 0000000020000420\nCapEff: 0000000020000420")
        let user = inside("mkdir /dev/shm/d 2>/dev/null; echo $?; id -u", name: "asUser") { c in
            c[["linux", "seccomp"]] = p
            c[["process", "noNewPrivileges"]] = .bool(false)
            c[["process", "user"]] = .object([("uid", .int(1000)), ("gid", .int(1000))])
        }
        XCTAssertEqual(user, "1\n1000")
    }

    func testUnknownSyscallIsSkipped() throws {
        let p = try profile([#"{"names": ["no_such_syscall", "mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO"}"#])
        XCTAssertEqual(inside("mkdir /dev/shm/d; echo $?", profile: p), "1")
    }

    func testMalformedProfileIsAnErrorWithItsPath() throws {
        let b = bundle(args: ["true"]) { c in
            c[["linux", "seccomp"]] = try! JSON.parse(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_FLY"}]}"#)
        }
        let before = Leftovers.snapshot(id: b.id)
        let r = b.run()
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("config.json: linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_FLY\""), r.err)
        XCTAssertEqual(Leftovers.snapshot(id: b.id), before)
        let arch = bundle(args: ["true"]) { c in
            c[["linux", "seccomp"]] = try! JSON.parse(#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}"#)
        }
        let a = arch.run()
        XCTAssertTrue(a.code == 1 && a.err.contains("linux.seccomp.architectures[0]: unknown seccomp architecture \"SCMP_ARCH_Z80\""), a.err)
    }

    /// Waits up to `seconds` for an agent thread, failing the test if it is
    /// still running then. The container has exited by the time this is
    /// called, so the agent's work is over; one still in accept (the runtime
    /// never connected) is woken by shutting the socket down, one still in
    /// the notification ioctl is left behind: the test fails, it does not hang.
    func finished(_ agent: Thread, server: Int32, seconds: Double = 30,
                  file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !agent.isFinished && Date() < deadline { usleep(10000) }
        if agent.isFinished { return true }
        shutdown(server, Int32(SHUT_RDWR))
        XCTFail("the seccomp agent was still running \(Int(seconds)) s after the container exited", file: file, line: line)
        return false
    }

    func testNotifyDeliversTheListenerToTheAgent() throws {
        let socket = Harness.work + "/agent-\(getpid()).sock"
        let server = hk_test_listen(socket)
        XCTAssertGreaterThanOrEqual(server, 0)
        defer { close(server) }
        var payload = ""
        var answered: Int32 = -1
        let agent = Thread {
            var buf = [CChar](repeating: 0, count: 65536)
            // One mkdir: the agent makes it fail with EXDEV (18).
            answered = hk_test_seccomp_agent(server, &buf, buf.count, 1, 18)
            payload = String(cString: buf)
        }
        agent.start()
        let p = try profile([#"{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}"#],
                            extra: [("listenerPath", .string(socket)), ("listenerMetadata", .string("hello agent"))])
        let out = inside("mkdir /dev/shm/d 2>&1; echo $?", profile: p)
        XCTAssertEqual(out, "mkdir: can't create directory '/dev/shm/d': Invalid cross-device link\n1")
        guard finished(agent, server: server) else { return }
        XCTAssertEqual(answered, 1)
        let message = try JSON.parse(payload)
        XCTAssertEqual(message["fds"], .array([.string("seccompFd")]))
        XCTAssertEqual(message["metadata"], .string("hello agent"))
        XCTAssertNotNil(message["state"]?["id"])
    }

    /// The pitfall of crun's and runc's history: a profile that notifies the
    /// syscalls the runtime itself makes after the install (the sendmsg that
    /// carries the listener, close, wait4, write, capset, execve). None may
    /// wait for an agent that has no listener yet.
    func testNotifyOnTheRuntimesOwnLastSyscallsDoesNotDeadlock() throws {
        let socket = Harness.work + "/agent-last-\(getpid()).sock"
        let server = hk_test_listen(socket)
        XCTAssertGreaterThanOrEqual(server, 0)
        defer { close(server) }
        var payload = ""
        var seen = [UInt32](repeating: 0, count: 512)
        var total: Int32 = 0
        let agent = Thread {
            var buf = [CChar](repeating: 0, count: 65536)
            let deny: [Int32] = [83, 258] // x86_64 mkdir, mkdirat: fail with EXDEV
            total = hk_test_seccomp_agent_continue(server, &buf, buf.count, deny, 18, &seen, 20000)
            payload = String(cString: buf)
        }
        agent.start()
        let notified = ["sendmsg", "sendto", "write", "close", "close_range", "wait4", "waitid", "capset", "fcntl",
                        "rt_sigprocmask", "sched_yield", "execve", "mkdir", "mkdirat"]
        let names = notified.map { "\"\($0)\"" }.joined(separator: ", ")
        let p = try profile([#"{"names": [\#(names)], "action": "SCMP_ACT_NOTIFY"}"#],
                            extra: [("listenerPath", .string(socket))])
        let b = bundle(args: ["sh", "-c", "mkdir /dev/shm/d 2>&1; echo $?"]) { $0[["linux", "seccomp"]] = p }
        // A deadlock would hang `run` for ever: give it 30 s.
        let r = Harness.run("/usr/bin/timeout", ["-s", "KILL", "30", Harness.hako, "--root", Harness.stateRoot,
                                                 "run", "--bundle", b.dir, b.id])
        XCTAssertEqual(r.code, 0, "run hung or failed: \(r.err)")
        XCTAssertEqual(r.out, "mkdir: can't create directory '/dev/shm/d': Invalid cross-device link\n1\n")
        guard finished(agent, server: server) else { return }
        XCTAssertGreaterThan(total, 0, "the agent timed out or failed: \(total)")
        // x86_64 numbers: the init's close of the listener and its execve were notified.
        XCTAssertGreaterThanOrEqual(seen[3], 1, "close")
        XCTAssertGreaterThanOrEqual(seen[59], 1, "execve")
        XCTAssertNotNil(try JSON.parse(payload)["state"]?["id"])
    }

    func testNotifyWithoutListenerIsAnError() throws {
        let b = bundle(args: ["true"]) { c in
            c[["linux", "seccomp"]] = try! self.profile([#"{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}"#])
        }
        let r = b.run()
        XCTAssertTrue(r.code == 1 && r.err.contains("linux.seccomp.listenerPath: is required"), r.err)
    }

    func testCompiledFilterIsCachedAndADamagedCacheIsNotTrusted() throws {
        let cache = Harness.stateRoot + "/@seccomp"
        try? FileManager.default.removeItem(atPath: cache)
        let p = try profile([#"{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}"#])
        let script = "mkdir /dev/shm/d 2>&1; true"
        let denied = "mkdir: can't create directory '/dev/shm/d': Permission denied"
        XCTAssertEqual(inside(script, profile: p, name: "first"), denied)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache)
        XCTAssertEqual(files.count, 1)
        let file = cache + "/" + files[0]
        let stamp = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
        XCTAssertEqual(inside(script, profile: p, name: "second"), denied)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date, stamp,
                       "the second run reads the cache instead of writing it")
        // Flip a byte of the BPF: the hash no longer matches, so hako compiles again.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count - 3] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let b = bundle("third", args: ["sh", "-c", script]) { $0[["linux", "seccomp"]] = p }
        let r = Harness.hako(["--debug", "run", "--bundle", b.dir, b.id])
        XCTAssertEqual(r.out.trimmingCharacters(in: .whitespacesAndNewlines), denied)
        XCTAssertTrue(r.err.contains("ignoring damaged cache file"), r.err)
        XCTAssertNotEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))), bytes, "the damaged file is replaced")
    }
}

extension JSON {
    func merging(_ extra: [(String, JSON)]) -> JSON {
        var j = self
        for (k, v) in extra { j.set(k, v) }
        return j
    }
}
