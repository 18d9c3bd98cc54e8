// Linux security modules: process.apparmorProfile, process.selinuxLabel
// and linux.mountLabel. The labels take effect at execve, by writing the
// process's exec attribute in procfs just before it.
//
// An AppArmor profile on a host without AppArmor is an error, as in crun:
// the container would run unconfined while its config says otherwise.
// SELinux labels on a host without SELinux are skipped with a warning, as
// runc and crun do, because engines send them whatever the host.
import Glibc

enum SecurityLabels {
    static var apparmorEnabled: Bool {
        Files.readText("/sys/module/apparmor/parameters/enabled")?.hasBytePrefix("Y") == true
    }
    static var selinuxEnabled: Bool { Files.exists("/sys/fs/selinux/enforce") }

    /// Checked by create and exec before anything is made, by hako itself:
    /// the process that sets the labels may have no log of its own.
    static func validate(_ p: Process, path: String = "process", logger: Logger) throws {
        if p.apparmorProfile != nil, !apparmorEnabled {
            throw SpecError(path + ".apparmorProfile", "AppArmor is not enabled on this host")
        }
        if let label = p.selinuxLabel, !label.isEmpty, !selinuxEnabled {
            logger.warn("config.json: \(path).selinuxLabel: SELinux is not enabled on this host; not applied")
        }
    }

    /// Sets the labels the next execve applies.
    static func setExecLabels(_ p: Process) throws {
        if let profile = p.apparmorProfile, !profile.isEmpty {
            let attr = Files.exists("/proc/self/attr/apparmor/exec") ? "/proc/self/attr/apparmor/exec" : "/proc/self/attr/exec"
            do { try Files.writeProcfs(attr, "exec " + profile) } catch {
                throw SpecError("process.apparmorProfile", "apply \"\(profile)\": \(error)")
            }
        }
        if let label = p.selinuxLabel, !label.isEmpty {
            guard selinuxEnabled else { return }  // validate warned
            do { try Files.writeProcfs("/proc/self/attr/exec", label) } catch {
                throw SpecError("process.selinuxLabel", "apply \"\(label)\": \(error)")
            }
        }
    }
}
