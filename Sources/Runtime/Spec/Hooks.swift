// config.md "POSIX-platform Hooks".

public struct Hook {
    public var path: String
    public var args: [String]
    /// nil when the config has no env: the hook then inherits hako's
    /// environment, as runc's hooks inherit runc's (Go's exec.Cmd with a nil
    /// Env). An empty list is an empty environment.
    public var env: [String]?
    public var timeout: Int?
    /// Int32.max milliseconds, in whole seconds (24.8 days).
    public static let maxTimeout = Int(Int32.max / 1000)

    public init(_ f: Field) throws {
        let p = try f.required("path")
        path = try p.string()
        if !path.hasBytePrefix("/") { throw p.error("must be an absolute path, not \"\(path)\"") }
        args = try f.strings("args")
        env = try f.optional("env") == nil ? nil : f.strings("env")
        timeout = try f.integer("timeout")
        if let t = timeout, t <= 0 { throw SpecError(f.childPath("timeout"), "must be greater than zero") }
        // The wait is a poll(2) in milliseconds, an int: longer would overflow it.
        if let t = timeout, t > Hook.maxTimeout {
            throw SpecError(f.childPath("timeout"), "\(t) is above \(Hook.maxTimeout) seconds, the longest wait hako can time")
        }
    }
}

public struct Hooks {
    public var prestart: [Hook] = []
    public var createRuntime: [Hook] = []
    public var createContainer: [Hook] = []
    public var startContainer: [Hook] = []
    public var poststart: [Hook] = []
    public var poststop: [Hook] = []

    public init() {}

    /// Whether any hook runs while create does (prestart, createRuntime, createContainer).
    public var runDuringCreate: Bool { !prestart.isEmpty || !createRuntime.isEmpty || !createContainer.isEmpty }

    /// Every kind with its hooks, in lifecycle order.
    public var all: [(String, [Hook])] {
        [("prestart", prestart), ("createRuntime", createRuntime), ("createContainer", createContainer),
         ("startContainer", startContainer), ("poststart", poststart), ("poststop", poststop)]
    }
    public init(_ f: Field) throws {
        prestart = try f.list("prestart", Hook.init)
        createRuntime = try f.list("createRuntime", Hook.init)
        createContainer = try f.list("createContainer", Hook.init)
        startContainer = try f.list("startContainer", Hook.init)
        poststart = try f.list("poststart", Hook.init)
        poststop = try f.list("poststop", Hook.init)
    }
}
