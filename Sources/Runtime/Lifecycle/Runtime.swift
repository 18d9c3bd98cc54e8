// The runtime: a state root and a logger, on which every operation of the
// container lifecycle (runtime.md "Lifecycle" and "Operations") is a method,
// as runc's command line exposes them. Each operation has a file of its own:
// Create, State, Start, Kill, Delete, Run (create + start + wait + delete),
// and runc's others: exec (Process/ExecProcess.swift), Update, Pause, Events.
public struct Runtime {
    public let store: StateStore
    public let logger: Logger

    public init(root: String, logger: Logger) {
        store = StateStore(root: root)
        self.logger = logger
    }
}
