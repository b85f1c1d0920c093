import DockerEngine
import Foundation
import JarvisStore

/// A task's failure in words an operator can act on; becomes the task's `error`.
public struct TaskFailure: Error, CustomStringConvertible {
    public let description: String
    /// JSON the failed task keeps as its result (an update that rolled back says what it restored).
    public var result: String?
    public init(_ description: String) { self.description = description }
    public init<Result: Encodable>(_ description: String, result: Result) {
        self.description = description
        self.result = jsonText(result)
    }
}

/// What a finished task leaves behind.
public struct TaskOutcome: Sendable {
    public var result: String
    public var artifact: (path: String, size: Int64)?

    public init<Result: Encodable>(_ result: Result, artifact: (path: String, size: Int64)? = nil) {
        self.result = jsonText(result)
        self.artifact = artifact
    }

    init(raw result: String) {
        self.result = result
    }
}

/// Runs one kind of task.
public protocol TaskExecutor: Sendable {
    func run(_ context: TaskContext) async throws -> TaskOutcome
}

/// What an executor may touch: its task, progress output, the engine, secrets.
public final class TaskContext: @unchecked Sendable {
    public let task: TaskRecord
    /// The host the task acts on, as the store knew it when the task started.
    public let host: HostServices
    public var docker: DockerClient { host.docker }
    let database: AppDatabase
    let secrets: SecretBox
    let changes: Watermark
    public let dataDir: String
    /// Set by the runner when an operator asked to cancel.
    public internal(set) var cancelRequested = false

    private var layers: [String: LayerProgress] = [:]
    private var layerOrder: [String] = []
    private var layersDirty = false
    private var lastLayerFlush = Date.distantPast
    private var pendingText = ""

    init(task: TaskRecord, host: HostServices, database: AppDatabase, secrets: SecretBox, changes: Watermark, dataDir: String) {
        self.task = task
        self.host = host
        self.database = database
        self.secrets = secrets
        self.changes = changes
        self.dataDir = dataDir
    }

    public var params: JSONValue { JSONValue.parse(task.params) ?? .object([:]) }

    /// Stores one progress row and wakes the streams that follow this task.
    public func emit(_ event: TaskEvent) async {
        do {
            try database.appendTaskProgress(taskID: task.id, data: event.json)
        } catch {
            // A full disk must not turn a finished pull into a failure: the row is lost, the task goes on.
        }
        await changes.bump()
    }

    public func log(_ text: String) async { await emit(.log(text)) }

    /// Build output arrives in arbitrary pieces: emit whole lines only.
    public func logStream(_ text: String) async {
        pendingText += text
        while let newline = pendingText.firstIndex(of: "\n") {
            let line = String(pendingText[..<newline]).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            pendingText = String(pendingText[pendingText.index(after: newline)...])
            if !line.isEmpty { await log(line) }
        }
    }

    public func flushStream() async {
        let rest = pendingText.trimmingCharacters(in: .whitespacesAndNewlines)
        pendingText = ""
        if !rest.isEmpty { await log(rest) }
    }

    /// Folds a pull or load line into the per-layer table; snapshots go out at most 4 times a second.
    public func track(_ message: ProgressMessage) async {
        guard let id = message.id, let status = message.status else { return }
        if layers[id] == nil { layerOrder.append(id) }
        var layer = layers[id] ?? LayerProgress(id: id, status: status)
        layer.status = status
        if let detail = message.progressDetail, detail.total != nil || detail.current != nil {
            layer.current = detail.current
            layer.total = detail.total
        } else if ["Pull complete", "Already exists", "Download complete"].contains(status) {
            if let total = layer.total { layer.current = total }
        }
        layers[id] = layer
        layersDirty = true
        let finished = ["Pull complete", "Already exists"].contains(status)
        await flushLayers(force: finished)
    }

    public func flushLayers(force: Bool = true) async {
        guard layersDirty, force || Date().timeIntervalSince(lastLayerFlush) >= 0.25 else { return }
        layersDirty = false
        lastLayerFlush = Date()
        await emit(.layers(layerOrder.compactMap { layers[$0] }))
    }

    /// The one-time secret the request sealed for this task, if any.
    public func openSecret() throws -> String? {
        try task.sealedSecret.map(secrets.open)
    }

    /// A saved registry login, opened.
    public func savedCredential(registry: String) throws -> (username: String, password: String)? {
        guard let saved = try database.registryCredential(registry: registry) else { return nil }
        return (saved.username, try secrets.open(saved.sealedPassword))
    }
}
