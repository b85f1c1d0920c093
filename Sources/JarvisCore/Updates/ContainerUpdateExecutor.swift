import DockerEngine
import Foundation
import JarvisStore

extension TaskKind {
    public static let containerUpdate = "container.update"
    public static let containerRollback = "container.rollback"
    public static let updatesCheck = "updates.check"
    /// Not a `StackOperation`: pull, up, wait, and up again with the previous images when that fails.
    public static let stackUpdate = "stack.update"
}

/// What the API stores for an update or a rollback of one container.
public struct ContainerUpdateParams: Codable, Sendable {
    public var container: String
    /// The image to run: the same reference re-pulled, a newer tag, or (rollback) the kept previous image.
    public var image: String?
    /// For a rollback: the history row whose previous image comes back.
    public var historyId: Int64?
    public var healthTimeout: Int
    public var settleSeconds: Int
    public var byPolicy: Bool
}

/// The result an update task keeps, also when it failed.
struct ContainerUpdateResult: Encodable {
    let container: String
    let result: String
    let rolledBack: Bool
    let fromImage: String?
    let toImage: String?
    let fromImageId: String?
    let toImageId: String?
    let keptImage: String?
    let historyId: Int64?
    let reason: String?
    let logs: [String]?
}

/// `container.update` and `container.rollback`: pull → keep the previous image under a tag → set the old
/// container aside (stopped, renamed) → create the new one with its exact configuration and the new image →
/// wait until it is healthy (or, without a healthcheck, running without a restart for the settle period) →
/// remove the old one. Any failure after the old container stopped brings the old container back, as it
/// was, and the task fails with `rolled_back: true`, the reason and the new container's last log lines.
struct ContainerUpdateExecutor: TaskExecutor {
    let rollback: Bool

    func run(_ context: TaskContext) async throws -> TaskOutcome {
        let params = try ImageTaskExecutors.decode(ContainerUpdateParams.self, context)
        let docker = context.docker
        let inspect = try await docker.containerJSON(params.container)
        guard let oldID = inspect["Id"] as? String, let oldImageID = inspect["Image"] as? String,
              let configuredImage = (inspect["Config"] as? [String: Any])?["Image"] as? String else {
            throw TaskFailure("the container's inspect data is incomplete")
        }
        let labels = (inspect["Config"] as? [String: Any])?["Labels"] as? [String: String] ?? [:]
        let name = ((inspect["Name"] as? String) ?? params.container).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var target = params.image ?? configuredImage
        var history: UpdateHistoryRecord?
        if rollback {
            guard let id = params.historyId, let row = try context.database.updateHistory(id: id), row.hostID == context.host.record.id,
                  let kept = row.keptImage else { throw TaskFailure("that update has no kept previous image to roll back to") }
            history = row
            target = kept
            await context.log("rolling \(name) back to \(row.fromImage ?? kept) (kept as \(kept))")
        } else {
            guard UpdateChecker.reference(configuredImage) != nil || params.image != nil else {
                throw TaskFailure("\(name) runs an image id, not a name and tag: there is nothing to update it to")
            }
            try await Self.pull(target, context)
        }
        let newImage = try await docker.image(target)
        if newImage.id == oldImageID {
            await context.log("\(name) already runs \(target) (\(newImage.id.prefix(19))): nothing to recreate")
            try? context.database.setUpdateCheckState(hostID: context.host.record.id, containerID: oldID, state: UpdateState.upToDate.rawValue)
            return TaskOutcome(ContainerUpdateResult(container: name, result: "up_to_date", rolledBack: false, fromImage: configuredImage,
                                                     toImage: target, fromImageId: oldImageID, toImageId: newImage.id, keptImage: nil,
                                                     historyId: nil, reason: nil, logs: nil))
        }
        // The previous image stays tagged, so neither a prune nor the pull's moved tag can remove it.
        let kept = try await Self.keep(oldImageID, of: name, docker: docker)
        // The new container runs the reference the operator knows (the tag), not the kept tag.
        let runAs = rollback ? (history?.fromImage.flatMap { ref in ImageReference(ref).map { _ in ref } } ?? target) : target
        if rollback, runAs != target { try await retag(target, as: runAs, docker: docker) }
        let oldImageConfig = (try await docker.imageJSON(oldImageID))["Config"] as? [String: Any] ?? [:]
        let recreation = try ContainerRecreation(inspect: inspect, oldImageConfig: oldImageConfig, image: runAs)
        // Asked of the door before anything stops: a refused create must not cost the old container a restart.
        try await admitted(recreation, docker: docker)
        let creator = try context.task.createdBy.flatMap { try context.database.user(id: $0) }
        var record = UpdateHistoryRecord(hostID: context.host.record.id, taskID: context.task.id, kind: rollback ? "rollback" : "update",
                                         containerName: name, stack: labels["com.docker.compose.project"],
                                         service: labels["com.docker.compose.service"], fromImage: configuredImage,
                                         toImage: rollback ? (history?.fromImage ?? target) : target,
                                         byUser: creator?.username, byPolicy: params.byPolicy, startedAt: Timestamp.string())
        let oldImage = try? await docker.image(oldImageID)
        record.fromDigest = UpdateChecker.digest(of: oldImage, repository: ImageReference(configuredImage)?.repository ?? "")
        record.toDigest = UpdateChecker.digest(of: newImage, repository: ImageReference(target)?.repository ?? "")
        record.fromImageID = oldImageID
        record.toImageID = newImage.id
        record.keptImage = kept
        record = try context.database.insertUpdateHistory(record)
        let started = Date()

        let outcome = await replace(oldID: oldID, name: name, recreation: recreation, params: params, context: context)
        record.finishedAt = Timestamp.string()
        record.durationMs = Int64(Date().timeIntervalSince(started) * 1000)
        record.reason = outcome.reason
        record.logs = outcome.logs.isEmpty ? nil : outcome.logs.joined(separator: "\n")
        record.result = outcome.newID != nil ? "updated" : (outcome.restored ? "rolled_back" : "failed")
        try context.database.saveUpdateHistory(record)
        let result = ContainerUpdateResult(container: name, result: record.result, rolledBack: outcome.restored, fromImage: configuredImage,
                                           toImage: runAs, fromImageId: oldImageID, toImageId: newImage.id, keptImage: kept,
                                           historyId: record.id, reason: outcome.reason, logs: outcome.logs.isEmpty ? nil : outcome.logs)
        Notifier(database: context.database).emit(
            outcome.newID != nil ? .imageUpdated : (outcome.restored ? .imageUpdateRolledBack : .imageUpdateFailed), target: name,
            summary: outcome.newID != nil ? "\(name) now runs \(runAs)" : "\(name) was not updated to \(runAs): \(outcome.reason ?? "")",
            host: (context.host.record.id, context.host.name),
            fields: ["container": name, "from_image": configuredImage, "to_image": runAs, "reason": outcome.reason ?? "",
                     "by": creator?.username ?? "", "by_policy": params.byPolicy ? "true" : "false"])
        guard let newID = outcome.newID else {
            // Server text in English on every page: worded apart from the UI catalog's phrases.
            let what = outcome.restored ? "was not updated; the previous container runs again" : "was not updated, and the previous container did not come back"
            throw TaskFailure("\(name) \(what) (\(outcome.reason ?? "unknown reason"))", result: result)
        }
        try? context.database.moveUpdateCheck(hostID: context.host.record.id, from: oldID, to: newID,
                                              state: rollback ? nil : UpdateState.upToDate.rawValue)
        try await pruneKept(of: name, keeping: kept, docker: docker)
        return TaskOutcome(result)
    }

    struct Replacement {
        var newID: String?
        var restored = false
        var reason: String?
        var logs: [String] = []
    }

    /// Old aside, new in, wait, and back to the old one on any failure.
    private func replace(oldID: String, name: String, recreation: ContainerRecreation, params: ContainerUpdateParams,
                         context: TaskContext) async -> Replacement {
        let docker = context.docker
        var outcome = Replacement()
        let aside = "\(name)-jarvis-old-\(oldID.prefix(8))"
        do {
            if recreation.wasRunning {
                await context.log("stopping \(name)")
                try await docker.stopContainer(oldID)
            }
            try await docker.renameContainer(oldID, to: aside)
        } catch {
            try? await docker.startContainer(oldID)
            outcome.reason = "could not set the old container aside: \(TaskRunner.describe(error))"
            outcome.restored = true
            return outcome
        }
        var newID: String?
        do {
            await context.log("creating \(name) from \(recreation.body["Image"] as? String ?? "")")
            let id = try await docker.createContainer(name: name, body: recreation.body)
            newID = id
            for network in recreation.laterNetworks {
                try await docker.connectNetwork(network.name, container: id, endpoint: network.endpoint)
            }
            if recreation.wasRunning {
                try await docker.startContainer(id)
                try await Self.waitGood(id, name: name, healthTimeout: params.healthTimeout, settleSeconds: params.settleSeconds, context: context)
            }
            try await docker.removeContainer(oldID)
            outcome.newID = id
            await context.log("\(name) updated; the old container was removed")
            return outcome
        } catch {
            outcome.reason = TaskRunner.describe(error)
            await context.log("update of \(name) failed: \(outcome.reason ?? ""); restoring the previous container")
        }
        if let newID {
            outcome.logs = await Self.lastLines(of: newID, docker: docker)
            try? await docker.removeContainer(newID, force: true)
        }
        do {
            try await docker.renameContainer(oldID, to: name)
            if recreation.wasRunning { try await docker.startContainer(oldID) }
            outcome.restored = true
            await context.log("the previous container of \(name) runs again")
        } catch {
            outcome.reason = (outcome.reason ?? "") + "; and the previous container could not be restored: \(TaskRunner.describe(error))"
        }
        return outcome
    }

    /// The host-access policy's verdict on the create this update will send (the create itself passes the door again).
    private func admitted(_ recreation: ContainerRecreation, docker: DockerClient) async throws {
        let body = try JSONSerialization.data(withJSONObject: recreation.body)
        do {
            try await docker.admission?.admit(EngineRequest("POST", "/containers/create", query: [("name", recreation.name)], body: [UInt8](body)),
                                              client: docker)
        } catch let error as EngineError {
            throw TaskFailure("\(recreation.name) was not touched: \(error.message)")
        }
    }

    /// Healthy within the timeout when the container has a healthcheck; else running, without a restart,
    /// for the settle period.
    static func waitGood(_ id: String, name: String, healthTimeout: Int, settleSeconds: Int, context: TaskContext) async throws {
        let docker = context.docker
        let first = try await docker.container(id)
        let hasHealth = first.state.health != nil
        let limit = hasHealth ? healthTimeout : settleSeconds
        await context.log(hasHealth ? "waiting up to \(limit) s for \(name) to be healthy"
                                    : "\(name) has no healthcheck: it must keep running for \(limit) s")
        let deadline = Date().addingTimeInterval(TimeInterval(limit))
        var tick: Int64 = 0
        while true {
            try Task.checkCancellation()
            let now = try await docker.container(id)
            if (now.restartCount ?? 0) > 0 || now.state.restarting {
                throw TaskFailure("the new container restarted (exit code \(now.state.exitCode ?? 0)): a restart loop")
            }
            if !now.state.running {
                throw TaskFailure("the new container exited with code \(now.state.exitCode ?? 0)"
                                  + (now.state.error.map { $0.isEmpty ? "" : ": \($0)" } ?? ""))
            }
            if let health = now.state.health {
                if health.status == "healthy" { return }
                if health.status == "unhealthy" {
                    let output = health.log?.last?.output?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                    throw TaskFailure("the new container is unhealthy" + (output.isEmpty ? "" : ": \(output.prefix(500))"))
                }
            }
            if Date() >= deadline {
                if hasHealth { throw TaskFailure("the new container was not healthy after \(limit) s") }
                return
            }
            tick += 1
            await context.emit(.progress(min(tick, Int64(limit)), of: Int64(limit), "waiting for \(name)", unit: "seconds"))
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    static func lastLines(of id: String, docker: DockerClient) async -> [String] {
        var lines: [String] = []
        do {
            for try await line in try await docker.logs(id, options: LogsOptions(tail: 30, timestamps: false)) {
                lines.append(String(line.text.trimmingCharacters(in: .newlines).prefix(1000)))
            }
        } catch {}
        return lines.map { SecretMask.maskURLs(in: $0) }
    }

    static func pull(_ image: String, _ context: TaskContext) async throws {
        guard let reference = ImageReference(image) else { throw TaskFailure("not an image reference: \(image)") }
        var auth: RegistryAuth?
        if let saved = try context.savedCredential(registry: reference.registry) {
            auth = RegistryAuth(username: saved.username, password: saved.password,
                                serverAddress: reference.registry == ImageReference.dockerHub ? "https://index.docker.io/v1/" : reference.registry)
        }
        await context.log("pulling \(reference.description)")
        for try await message in try await context.docker.pullImage(reference.repository, tag: reference.tag, auth: auth) {
            if let failure = message.failure { throw TaskFailure("pull \(reference.description): \(failure)") }
            if message.id != nil, message.progressDetail != nil { await context.track(message) }
        }
        await context.flushLayers()
    }

    /// `jarvis-rollback/<name>:<image id prefix>` on the previous image.
    static func keep(_ imageID: String, of name: String, docker: DockerClient) async throws -> String {
        let repository = Self.keptRepository(name)
        let tag = String(imageID.replacingOccurrences(of: "sha256:", with: "").prefix(12))
        try await docker.tagImage(imageID, repository: repository, tag: tag)
        return "\(repository):\(tag)"
    }

    private func retag(_ source: String, as reference: String, docker: DockerClient) async throws {
        guard let parsed = ImageReference(reference) else { return }
        try await docker.tagImage(source, repository: parsed.repository, tag: parsed.tag)
    }

    /// The three newest kept images of a container stay; older tags go (the images themselves only when unused).
    private func pruneKept(of name: String, keeping current: String, docker: DockerClient) async throws {
        let repository = Self.keptRepository(name)
        let images = (try? await docker.images()) ?? []
        let kept = images.filter { ($0.repoTags ?? []).contains { $0.hasPrefix(repository + ":") } }.sorted { $0.created > $1.created }
        for image in kept.dropFirst(3) {
            for tag in image.repoTags ?? [] where tag.hasPrefix(repository + ":") && tag != current {
                _ = try? await docker.removeImage(tag)
            }
        }
    }

    static func keptRepository(_ name: String) -> String {
        let safe = name.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "-" }
        return "jarvis-rollback/" + String(safe).trimmingCharacters(in: CharacterSet(charactersIn: "-."))
    }
}

/// `updates.check`: one round of `UpdateChecker` on the task's host, for a container, a stack or all.
struct UpdateCheckExecutor: TaskExecutor {
    let insecureRegistries: Set<String>

    func run(_ context: TaskContext) async throws -> TaskOutcome {
        let request = try ImageTaskExecutors.decode(CheckRequest.self, context)
        var scope = UpdateChecker.Scope(stack: request.stack)
        if let container = request.container, !container.isEmpty {
            scope.containerIDs = [try await context.docker.container(container).id]
        }
        let checker = UpdateChecker(host: context.host, database: context.database,
                                    registry: UpdateExecutors.registryClient(insecure: insecureRegistries, context: context))
        let summary = try await checker.check(scope) { await context.log($0) }
        return TaskOutcome(summary)
    }
}

enum UpdateExecutors {
    static func all(config: JarvisConfig) -> [String: any TaskExecutor] {
        [TaskKind.containerUpdate: ContainerUpdateExecutor(rollback: false), TaskKind.containerRollback: ContainerUpdateExecutor(rollback: true),
         TaskKind.updatesCheck: UpdateCheckExecutor(insecureRegistries: config.insecureRegistries),
         TaskKind.stackUpdate: StackUpdateExecutor(healthTimeout: config.updateHealthTimeout, settleSeconds: config.updateSettleSeconds)]
    }

    /// A registry client signing in with the saved credentials.
    static func registryClient(insecure: Set<String>, context: TaskContext) -> RegistryClient {
        RegistryClient(insecureRegistries: insecure) { registry in
            (try? context.savedCredential(registry: registry)).flatMap { $0 }.map { RegistryClient.Login(username: $0.username, password: $0.password) }
        }
    }
}
