// config.md "Process", asserted from inside the container: user, groups,
// capabilities, rlimits, cwd, env, umask, no_new_privs, oom_score_adj.
import Foundation
import HakoRuntime
import XCTest

final class ProcessTests: ContainerTestCase {
    func testDefaultCapabilities() {
        // runc's default set: CAP_KILL(5), CAP_NET_BIND_SERVICE(10), CAP_AUDIT_WRITE(29).
        let out = inside("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status")
        XCTAssertEqual(out.split(separator: "\n").map { $0.split(separator: "\t").joined(separator: " ") }, [
            "CapInh: 0000000000000000", "CapPrm: 0000000020000420", "CapEff: 0000000020000420",
            "CapBnd: 0000000020000420", "CapAmb: 0000000000000000",
        ])
    }

    func testCapabilitySetsAreAppliedSeparately() {
        let out = inside("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status | tr '\\t' ' '") { c in
            c[["process", "capabilities"]] = .object([
                ("bounding", .array(["CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"].map { .string($0) })),
                ("permitted", .array(["CAP_CHOWN", "CAP_KILL"].map { .string($0) })),
                ("effective", .array(["CAP_KILL"].map { .string($0) })),
                ("inheritable", .array(["CAP_KILL"].map { .string($0) })),
                ("ambient", .array(["CAP_KILL"].map { .string($0) })),
            ])
        }
        // uid 0 gets effective = permitted at execve whatever was set, and
        // no_new_privs keeps permitted from growing to the bounding set.
        XCTAssertEqual(out.split(separator: "\n"), [
            "CapInh: 0000000000000020", "CapPrm: 0000000000000021", "CapEff: 0000000000000021",
            "CapBnd: 0000000000200021", "CapAmb: 0000000000000020",
        ])
    }

    func testUserGroupsAndUmask() {
        let out = inside("id; umask") { c in
            c[["process", "user"]] = .object([("uid", .int(1000)), ("gid", .int(1001)), ("umask", .int(0o027)),
                                             ("additionalGids", .array([.int(10), .int(20)]))])
        }
        XCTAssertEqual(out, "uid=1000(user) gid=1001 groups=10,20\n0027")
    }

    func testRlimits() {
        let out = inside("ulimit -Sn; ulimit -Hn; ulimit -Sc") { c in
            c[["process", "rlimits"]] = .array([
                .object([("type", .string("RLIMIT_NOFILE")), ("soft", .int(512)), ("hard", .int(700))]),
                .object([("type", .string("RLIMIT_CORE")), ("soft", .int(4096)), ("hard", .int(8192))]),
            ])
        }
        XCTAssertEqual(out, "512\n700\n8")
        XCTAssertEqual(inside("ulimit -n"), "1024", "the default spec's RLIMIT_NOFILE")
    }

    func testCwdIsCreatedAndEntered() {
        XCTAssertEqual(inside("pwd") { $0[["process", "cwd"]] = .string("/tmp/work/dir") }, "/tmp/work/dir")
    }

    func testEnvironmentAndHome() {
        let out = inside("echo $FOO; echo $HOME") { c in
            c[["process", "env"]] = .array([.string("PATH=/bin"), .string("FOO=bar baz")])
        }
        XCTAssertEqual(out, "bar baz\n/root", "HOME comes from the container's /etc/passwd")
    }

    func testNoNewPrivilegesAndOOMScore() {
        XCTAssertEqual(inside("grep NoNewPrivs /proc/self/status | tr -d '\\t '"), "NoNewPrivs:1")
        XCTAssertEqual(inside("grep NoNewPrivs /proc/self/status | tr -d '\\t '") {
            $0[["process", "noNewPrivileges"]] = .bool(false)
        }, "NoNewPrivs:0")
        XCTAssertEqual(inside("cat /proc/self/oom_score_adj") { $0[["process", "oomScoreAdj"]] = .int(123) }, "123")
    }

    func testProgramIsFoundInThePATH() {
        XCTAssertEqual(inside("echo ok") { $0[["process", "env"]] = .array([.string("PATH=/nowhere:/bin")]) }, "ok")
    }

    func testSessionKeyringIsTheContainersOwn() {
        // /proc/keys is masked by default; unmask it to look.
        let unmasked: (inout JSON) -> Void = { $0[["linux", "maskedPaths"]] = .array([]) }
        let script = "grep -o 'keyring .*' /proc/keys | cut -d: -f1 | sort"
        let own = bundle(args: ["sh", "-c", script], unmasked)
        var r = own.run()
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("keyring   _ses.\(own.id)"), "a keyring named _ses.<id>, as runc names it: \(r.out)")

        let shared = bundle(args: ["sh", "-c", script], unmasked)
        r = shared.hako("run", ["--no-new-keyring"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertFalse(r.out.contains(shared.id), "--no-new-keyring keeps the caller's session keyring: \(r.out)")
    }

    func testAppArmorProfileNeedsAppArmor() throws {
        let enabled = (try? String(contentsOfFile: "/sys/module/apparmor/parameters/enabled", encoding: .utf8))?.hasPrefix("Y") == true
        if enabled { throw XCTSkip("this host has AppArmor: the refusal on hosts without it is NOT tested here") }
        let b = bundle(args: ["true"]) { $0[["process", "apparmorProfile"]] = .string("docker-default") }
        let before = Leftovers.snapshot(id: b.id)
        let r = b.run()
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("config.json: process.apparmorProfile: AppArmor is not enabled on this host"), r.err)
        XCTAssertEqual(Leftovers.snapshot(id: b.id), before)
    }

    func testSELinuxLabelsWithoutSELinuxAreSkippedWithAWarning() throws {
        if FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce") {
            throw XCTSkip("this host has SELinux: the skip on hosts without it is NOT tested here")
        }
        let b = bundle(args: ["echo", "ran"]) { c in
            c[["process", "selinuxLabel"]] = .string("system_u:system_r:container_t:s0")
            c[["linux", "mountLabel"]] = .string("system_u:object_r:container_file_t:s0")
        }
        let r = b.run()
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(r.out, "ran\n")
        XCTAssertTrue(r.err.contains("process.selinuxLabel: SELinux is not enabled") && r.err.contains("linux.mountLabel: SELinux is not enabled"), r.err)
    }
}
