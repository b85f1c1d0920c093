import DockerEngine
import Foundation
import JarvisStore
import Logging

/// Keeps the store's container snapshot equal to the engine: a full listing at
/// start and every `resyncSeconds`, and one container re-read per engine event
/// in between. Runs in jarvis-sse; jarvis-fcgi reads the snapshot.
public final class ContainerMirror: Sendable {
    let docker: DockerClient
    let database: AppDatabase
    let hostID: Int64
    let logger: Logger
    let resyncSeconds: UInt64
    /// The `timeNano` of the last engine event reflected in the store.
    public let watermark = Watermark()
    /// Hears every container event (notifications); it returns at once.
    let alerts: ContainerAlerts?

    public init(docker: DockerClient, database: AppDatabase, hostID: Int64, logger: Logger, resyncSeconds: UInt64 = 15,
                alerts: ContainerAlerts? = nil) {
        self.alerts = alerts
        self.docker = docker
        self.database = database
        self.hostID = hostID
        self.logger = logger
        self.resyncSeconds = resyncSeconds
    }

    /// Actions that do not change what the list shows.
    static let ignoredActions: Set<String> = ["top", "resize", "attach", "detach", "commit", "copy", "archive-path", "extract-to-dir", "export"]

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.resyncPeriodically() }
            group.addTask { await self.followEvents() }
        }
    }

    /// One complete listing into the store.
    public func resync() async throws {
        let observedAt = ContainerService.now()
        let all = try await docker.containers(ListContainersOptions(all: true))
        try database.replaceContainerSnapshot(hostID: hostID, all.map { ContainerSnapshot.record($0, host: hostID, observedAt: observedAt) },
                                              observedAt: observedAt)
        Memory.trim()  // a thousand decoded containers are garbage now
    }

    private func resyncPeriodically() async {
        while !Task.isCancelled {
            do { try await resync() } catch {
                try? database.markContainerMirrorStale(hostID: hostID)
                logger.warning("container mirror resync failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(nanoseconds: resyncSeconds * 1_000_000_000)
        }
    }

    private func followEvents() async {
        var since: String?
        while !Task.isCancelled {
            do {
                let events = try await docker.events(EventsOptions(since: since, filters: ["type": ["container"]]))
                for try await event in events {
                    since = String(event.time)
                    await apply(event)
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("container mirror event stream ended", metadata: ["error": "\(error)"])
            }
            // Events may have been missed: nobody trusts the snapshot until a full listing succeeds again.
            try? database.markContainerMirrorStale(hostID: hostID)
            try? await Task.sleep(nanoseconds: 1_000_000_000)
            try? await resync()
        }
    }

    func apply(_ event: EngineEvent) async {
        alerts?.observe(event)
        let action = event.action.split(separator: ":").first.map(String.init) ?? event.action
        if !action.hasPrefix("exec_") && !Self.ignoredActions.contains(action) {
            if action == "destroy" {
                try? database.deleteContainerSnapshot(hostID: hostID, id: event.actor.id, observedAt: event.timeNano)
            } else {
                await refresh(event.actor.id)
            }
        }
        await watermark.advance(to: event.timeNano)
    }

    func refresh(_ id: String) async {
        do {
            try await ContainerSnapshot.refresh(id, host: hostID, docker: docker, database: database)
        } catch {
            logger.debug("container refresh failed", metadata: ["container": "\(id)", "error": "\(error)"])
        }
    }
}
