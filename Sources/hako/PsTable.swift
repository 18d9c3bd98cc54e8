// `ps` in table form: the host's ps(1) output, kept to the header and the
// container's lines, as runc prints it.
import Glibc
import HakoRuntime

enum PsTable {
    static func render(pids: [Int32], psArgs: [String]) throws -> String {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw RuntimeError("pipe: \(SystemError.describe(errno))") }
        let child = fork()
        if child == 0 {
            dup2(fds[1], 1)
            close(fds[0])
            signal(SIGPIPE, SIG_DFL)  // hako ignores it; ps gets the default
            var argv = (["ps"] + psArgs).map { strdup($0) } + [nil]
            execvp("ps", &argv)
            _exit(127)
        }
        close(fds[1])
        let out = String(decoding: (try? Files.readAll(fds[0], "ps")) ?? [], as: UTF8.self)
        close(fds[0])
        var status: Int32 = 0
        waitpid(child, &status, 0)
        if status != 0 { throw RuntimeError("ps \(psArgs.joined(by: " ")) failed") }
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first, let pidColumn = header.split(separator: " ").firstIndex(of: "PID") else {
            throw RuntimeError("ps output has no PID column")
        }
        let wanted = Set(pids)
        var result = String(header) + "\n"
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ")
            if fields.count > pidColumn, let pid = Int32(fields[pidColumn]), wanted.contains(pid) { result += line + "\n" }
        }
        return result
    }
}
