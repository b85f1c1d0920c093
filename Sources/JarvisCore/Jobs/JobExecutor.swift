import Compose
import DockerEngine
import Foundation
import JarvisStore

/// What one attempt produced: the per-kind summary the interactive action shows, and an exit code where there is one.
struct JobOutcome {
    var result: String
    var exitCode: Int?
}

/// Why an attempt failed, in words for the run's `error`.
struct JobFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs one attempt of a maintenance job on its host, as the job's creator. Pulls and stack operations go through
/// the task queue (the same executors, progress and audit as when a user clicks), and the attempt waits for the task.
struct JobExecutor {
    let database: AppDatabase
    let tasks: TaskService
    let backups: BackupRotation

    func run(_ kind: JobKind, params: JobParams, host: HostServices, as principal: Principal, runID: Int64) async throws -> JobOutcome {
        switch kind {
        case .imagePull:
            let task = try host.imageTasks.pull(PullRequest(image: params.image ?? "", tag: params.tag, auth: nil, saveCredential: nil),
                                                by: principal)
            return try await wait(for: task, runID: runID)
        case .stackRestart, .stackUp, .stackPull:
            let operation: StackOperation = kind == .stackUp ? .up : kind == .stackPull ? .pull : .restart
            let task = try await host.stacks.enqueue(params.stack ?? "", operation, StackOperationRequest(), by: principal)
            return try await wait(for: task, runID: runID)
        case .containerRestart:
            let details = try await host.containers.perform(.restart, on: params.container ?? "")
            struct Restarted: Encodable { let id: String; let name: String; let state: String; let running: Bool }
            return JobOutcome(result: jsonText(Restarted(id: details.id, name: String(details.name.drop { $0 == "/" }),
                                                          state: details.state.status, running: details.state.running)))
        case .imagePrune:
            let report = try await host.images.pruneDangling()
            // The interactive prune's answer: deleted image ids and the bytes reclaimed.
            struct Pruned: Encodable { let deleted: [String]; let spaceReclaimed: Int64 }
            return JobOutcome(result: jsonText(Pruned(deleted: (report.imagesDeleted ?? []).compactMap(\.deleted),
                                                       spaceReclaimed: report.spaceReclaimed)))
        case .storeBackup:
            guard backups.keep > 0 else { throw JobFailure("backups are off (backup_keep = 0)") }
            let info = try backups.run(database)
            struct Backed: Encodable { let path: String; let bytes: Int64; let users: Int; let auditRows: Int }
            return JobOutcome(result: jsonText(Backed(path: info.path, bytes: info.bytes, users: info.users, auditRows: info.auditRows)))
        }
    }

    /// Waits for a queued task to end; cancelling the wait (a timeout) cancels the task.
    private func wait(for task: TaskRecord, runID: Int64) async throws -> JobOutcome {
        try database.setRunTask(id: runID, taskID: task.id)
        while true {
            if Task.isCancelled {
                _ = try? tasks.cancel(task.id)
                throw CancellationError()
            }
            let current = try tasks.get(task.id)
            if current.isFinished {
                guard current.state == "succeeded" else {
                    throw JobFailure("task \(current.id) \(current.state): \(current.error ?? current.state)")
                }
                return JobOutcome(result: current.result ?? "{}")
            }
            try? await Task.sleep(nanoseconds: 200_000_000)
        }
    }
}
