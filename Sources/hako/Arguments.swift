// A small table-driven argv parser in the style of runc's (urfave/cli):
// `-x`, `--name`, `-name`, `--name=value`; options stop at the first
// positional argument, so `exec ID sh -c ...` keeps the command intact.

import Glibc

struct OptionSpec {
    let names: [String]
    let takesValue: Bool
    var key: String { names[0] }
    static func flag(_ names: String...) -> OptionSpec { OptionSpec(names: names, takesValue: false) }
    static func value(_ names: String...) -> OptionSpec { OptionSpec(names: names, takesValue: true) }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

struct Arguments {
    /// Every value given for an option, in order (--env and --cap repeat).
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var positional: [String] = []

    init(_ args: ArraySlice<String>, options: [OptionSpec], stopAtPositional: Bool = true) throws {
        var i = args.startIndex
        while i < args.endIndex {
            let a = args[i]
            i += 1
            if a == "--" { positional += args[i...]; break }
            guard a.hasBytePrefix("-"), a.count > 1 else {
                positional.append(a)
                if stopAtPositional { positional += args[i...]; break }
                continue
            }
            var name = String(a.drop(while: { $0 == "-" }))
            var inline: String? = nil
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = options.first(where: { $0.names.contains(name) }) else {
                throw UsageError("flag provided but not defined: -\(name)")
            }
            if spec.takesValue {
                if let inline { values[spec.key, default: []].append(inline); continue }
                guard i < args.endIndex else { throw UsageError("flag needs an argument: -\(name)") }
                values[spec.key, default: []].append(args[i])
                i += 1
            } else if let inline {
                switch inline {
                case "true", "1": flags.insert(spec.key)
                case "false", "0": flags.remove(spec.key)
                default: throw UsageError("invalid boolean value \"\(inline)\" for -\(name)")
                }
            } else {
                flags.insert(spec.key)
            }
        }
    }

    subscript(key: String) -> String? { values[key]?.last }
    func all(_ key: String) -> [String] { values[key] ?? [] }
    func has(_ key: String) -> Bool { flags.contains(key) }

    func int(_ key: String) throws -> Int {
        guard let v = values[key]?.last else { return 0 }
        guard let n = Int(v), n >= 0 else { throw UsageError("invalid value \"\(v)\" for --\(key)") }
        return n
    }

    /// --preserve-fds: descriptors 3..<3+n (and `more` after them, from
    /// LISTEN_FDS) must be able to exist, below this process's hard limit
    /// of open files; so a huge count is refused, never overflows a
    /// descriptor number.
    func descriptorCount(_ key: String, more: Int = 0) throws -> Int {
        let n = try int(key)
        var limit = rlimit()
        let most = getrlimit(__rlimit_resource_t(UInt32(RLIMIT_NOFILE.rawValue)), &limit) == 0 ? Int(clamping: limit.rlim_max) : Int(Int32.max)
        if n > most - 3 - more {
            throw UsageError("invalid value \"\(values[key]?.last ?? "")\" for --\(key): \(n)\(more > 0 ? " + \(more) (LISTEN_FDS)" : "") descriptors after stdio exceed this process's open-file limit (\(most))")
        }
        return n
    }

    func id(_ command: String) throws -> String {
        guard let id = positional.first else { throw UsageError("\"\(command)\" requires a container id") }
        return id
    }
}
