import AsyncAlgorithms
import Compose
import DockerEngine
import Foundation
import Hummingbird
import JarvisAPI
import JarvisCore

/// The merged log of a stack: every container of the project, each line tagged with
/// its service and container. Containers that appear later (a recreate, a scale-up)
/// join within two seconds; one that stops is picked up again when it runs.
extension StreamRoutes {
    struct StackLogLine: Encodable {
        let service: String
        let container: String
        let stream: String
        let time: String?
        let line: String
    }

    /// Which containers are followed, and the last line time of each (to resume without repeats).
    final class Followed: @unchecked Sendable {
        private let lock = NSLock()
        private var active = Set<String>()
        private var lastTime: [String: String] = [:]

        func claim(_ id: String) -> (claimed: Bool, since: String?) {
            lock.withLock { active.insert(id).inserted ? (true, lastTime[id]) : (false, nil) }
        }
        func saw(_ id: String, _ time: String?) { if let time { lock.withLock { lastTime[id] = time } } }
        func release(_ id: String) { _ = lock.withLock { active.remove(id) } }
    }

    func stackLogs(_ request: Request, name: String) async throws -> Response {
        do { _ = try await authenticate(request) } catch let error as JarvisError { return Self.error(error, request) }
        guard StacksFolder.isValidName(name) else { return Self.error(.invalidField("name", "not a stack name"), request) }
        let query = QueryString.parse(request.uri.query ?? "")
        guard let tail = Int(query["tail"] ?? "100"), (0...5000).contains(tail) else {
            return Self.error(.badRequest("tail must be a number 0...5000", code: "invalid_parameter"), request)
        }
        let docker = self.docker
        let filters = ["label": ["\(ComposeLabel.project)=\(name)"]]
        return Self.stream { channel in
            let followed = Followed()
            try await withThrowingTaskGroup(of: Void.self) { group in
                var first = true
                while true {
                    let containers = try await docker.containers(ListContainersOptions(all: true, filters: filters))
                        .filter { $0.labels?[ComposeLabel.oneoff] != "True" }
                    for container in containers where container.state == "running" || first {
                        let (claimed, since) = followed.claim(container.id)
                        guard claimed else { continue }
                        let service = container.labels?[ComposeLabel.service] ?? "?"
                        // Containers present at the start show their last lines; later ones from where they begin.
                        var options = LogsOptions(follow: true, since: since.flatMap(Self.engineSince), tail: first ? tail : nil)
                        if since != nil { options.tail = nil }
                        group.addTask {
                            defer { followed.release(container.id) }
                            do {
                                for try await batch in try await docker.logBatches(container.id, options: options) {
                                    var out = ""
                                    for line in batch where since == nil || (line.timestamp ?? "") > since! {
                                        followed.saw(container.id, line.timestamp)
                                        let payload = StackLogLine(service: service, container: container.name, stream: line.stream.rawValue,
                                                                   time: line.timestamp, line: line.text)
                                        out += ServerSentEvent.encode(id: nil, event: "log",
                                                                      data: String(decoding: try JSONCoding.encoder.encode(payload), as: UTF8.self))
                                    }
                                    if !out.isEmpty { await channel.send(ByteBuffer(string: out)) }
                                }
                            } catch let error as EngineError where error.code == .notFound {}
                        }
                    }
                    if first && containers.isEmpty {
                        await channel.send(Self.event(event: "state", data: #"{"state":"no containers"}"#))
                    }
                    first = false
                    try await Task.sleep(nanoseconds: 2_000_000_000)
                }
            }
        }
    }

    /// RFC 3339 with nanoseconds → the engine's `seconds.nanos` for `since`.
    static func engineSince(_ time: String) -> String? {
        LogInstant(time)?.engineSince
    }
}
