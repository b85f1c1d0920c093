import Compose
import DockerEngine
import Foundation
import JarvisStore

/// `stack.update`: through the Compose executor, pull the services' images, then `up` (which recreates
/// only the services whose image changed, in dependency order), then wait for each recreated container to
/// be healthy (or running without a restart). When one is not, the previous images are tagged back under
/// their references and `up` runs again: the stack is as it was, and the task fails with `rolled_back`.
struct StackUpdateExecutor: TaskExecutor {
    let healthTimeout: Int
    let settleSeconds: Int

    struct Running {
        let service: String
        let id: String
        let name: String
        let image: String
        let imageID: String
    }

    func run(_ context: TaskContext) async throws -> TaskOutcome {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let requested = try decoder.decode(StackParams.self, from: Data(context.task.params.utf8))
        let docker = context.docker
        let before = try await running(requested, docker: docker)
        // The images running now stay tagged: a prune cannot take them, and a rollback tags them back.
        var kept: [String: String] = [:]
        for entry in before { kept[entry.service] = try await ContainerUpdateExecutor.keep(entry.imageID, of: "\(requested.stack)-\(entry.service)", docker: docker) }
        // Only images that came from a registry can be pulled again: built and loaded ones stay as they are.
        var pullable: [String] = []
        for entry in before where !((try? await docker.image(entry.imageID))?.repoDigests ?? []).isEmpty { pullable.append(entry.service) }
        guard !pullable.isEmpty else {
            await context.log("no service of \(requested.stack) runs an image from a registry: nothing to update")
            return TaskOutcome(["stack": requested.stack, "result": "up_to_date"])
        }
        var params = requested
        params.services = pullable.sorted()
        var pull = params
        pull.operation = .pull
        await context.log("pulling the images of \(params.stack)")
        _ = try await StackExecutor.perform(pull, context)
        var up = params
        up.operation = .up
        _ = try await StackExecutor.perform(up, context)
        let after = try await running(params, docker: docker)
        let changed = after.filter { entry in before.first { $0.service == entry.service }.map { $0.imageID != entry.imageID } ?? false }
        let creator = try context.task.createdBy.flatMap { try context.database.user(id: $0) }
        if changed.isEmpty {
            await context.log("every service of \(params.stack) already runs its newest image: nothing was recreated")
            return TaskOutcome(["stack": params.stack, "result": "up_to_date"])
        }
        var records: [UpdateHistoryRecord] = []
        for entry in changed {
            let old = before.first { $0.service == entry.service }!
            var record = UpdateHistoryRecord(hostID: context.host.record.id, taskID: context.task.id, kind: "update", containerName: entry.name,
                                             stack: params.stack, service: entry.service, fromImage: old.image, toImage: entry.image,
                                             byUser: creator?.username, byPolicy: false, startedAt: Timestamp.string())
            record.fromImageID = old.imageID
            record.toImageID = entry.imageID
            let repository = ImageReference(entry.image)?.repository ?? ""
            record.fromDigest = UpdateChecker.digest(of: try? await docker.image(old.imageID), repository: repository)
            record.toDigest = UpdateChecker.digest(of: try? await docker.image(entry.imageID), repository: repository)
            record.keptImage = kept[entry.service]
            records.append(try context.database.insertUpdateHistory(record))
        }
        let started = Date()
        var failure: (service: String, reason: String, logs: [String])?
        for entry in changed where failure == nil {
            do {
                try await ContainerUpdateExecutor.waitGood(entry.id, name: entry.name, healthTimeout: healthTimeout, settleSeconds: settleSeconds,
                                                           context: context)
            } catch {
                failure = (entry.service, TaskRunner.describe(error), await ContainerUpdateExecutor.lastLines(of: entry.id, docker: docker))
            }
        }
        var restored = false
        if let failure {
            await context.log("\(failure.service) of \(params.stack) failed (\(failure.reason)): putting the previous images back")
            for entry in changed {
                guard let old = before.first(where: { $0.service == entry.service }), let reference = ImageReference(old.image) else { continue }
                try? await docker.tagImage(old.imageID, repository: reference.repository, tag: reference.tag)
            }
            do {
                _ = try await StackExecutor.perform(up, context)
                restored = true
            } catch {
                await context.log("the previous images could not be brought back: \(TaskRunner.describe(error))")
            }
        }
        for var record in records {
            record.finishedAt = Timestamp.string()
            record.durationMs = Int64(Date().timeIntervalSince(started) * 1000)
            if let failure {
                record.result = restored ? "rolled_back" : "failed"
                record.reason = "\(failure.service): \(failure.reason)"
                if record.service == failure.service { record.logs = failure.logs.joined(separator: "\n") }
            } else {
                record.result = "updated"
            }
            try context.database.saveUpdateHistory(record)
        }
        let outcome = failure == nil ? "updated" : (restored ? "rolled_back" : "failed")
        let result = ["stack": params.stack, "result": outcome, "services": changed.map(\.service).joined(separator: ","),
                      "rolled_back": restored ? "true" : "false", "reason": failure?.reason ?? ""]
        Notifier(database: context.database).emit(failure == nil ? .imageUpdated : (restored ? .imageUpdateRolledBack : .imageUpdateFailed),
                                                   target: params.stack,
                                                   summary: failure == nil ? "\(params.stack): \(changed.map(\.service).joined(separator: ", ")) updated"
                                                       : "\(params.stack) was not updated: \(failure!.reason)",
                                                   host: (context.host.record.id, context.host.name),
                                                   fields: ["stack": params.stack, "reason": failure?.reason ?? "", "by": creator?.username ?? ""])
        if let failure {
            throw TaskFailure("\(params.stack) \(restored ? "was not updated; its previous images run again" : "was not updated, and its previous images did not come back") (\(failure.service): \(failure.reason))",
                              result: result)
        }
        return TaskOutcome(result)
    }

    /// The first container of each selected service, with the image it runs.
    private func running(_ params: StackParams, docker: DockerClient) async throws -> [Running] {
        let containers = try await docker.containers(ListContainersOptions(all: true, filters: ["label": ["\(ComposeLabel.project)=\(params.stack)"]]))
        var found: [Running] = []
        for container in containers {
            guard let service = container.labels?[ComposeLabel.service], container.labels?[ComposeLabel.oneoff] != "True",
                  params.services.isEmpty || params.services.contains(service), let imageID = container.imageID,
                  !found.contains(where: { $0.service == service }) else { continue }
            found.append(Running(service: service, id: container.id, name: container.name, image: container.image, imageID: imageID))
        }
        return found
    }
}
