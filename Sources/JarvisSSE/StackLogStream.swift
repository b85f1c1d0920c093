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
    /// Keyed by the 12-character short id, the form positions take in event ids.
    final class Followed: @unchecked Sendable {
        private let lock = NSLock()
        private var active = Set<String>()
        private var lastTime: [String: String]

        init(resumingFrom positions: [String: String] = [:]) { lastTime = positions }

        func claim(_ id: String) -> (claimed: Bool, since: String?) {
            lock.withLock { active.insert(id).inserted ? (true, lastTime[String(id.prefix(12))]) : (false, nil) }
        }
        func saw(_ id: String, _ time: String?) { if let time { lock.withLock { lastTime[String(id.prefix(12))] = time } } }
        func release(_ id: String) { _ = lock.withLock { active.remove(id) } }

        /// The event id: every container's last line sent, `<short id>@<time>` joined by commas, with
        /// `id` at `time` (the batch about to go out). Others count only once their lines went out.
        func positions(with id: String, at time: String?) -> String {
            lock.withLock {
                var times = lastTime
                if let time { times[String(id.prefix(12))] = time }
                return times.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }.joined(separator: ",")
            }
        }
    }

    /// Reads an event id written by `Followed.positions`; nil when it is not one.
    static func positions(_ text: String) -> [String: String]? {
        var positions: [String: String] = [:]
        for part in text.split(separator: ",") {
            guard let at = part.firstIndex(of: "@") else { return nil }
            let id = String(part[..<at]), time = String(part[part.index(after: at)...])
            guard id.count == 12, id.allSatisfy(\.isHexDigit), LogInstant(time) != nil else { return nil }
            positions[id] = time
        }
        return positions
    }

    func stackLogs(_ request: Request, name: String, host: String?) async throws -> Response {
        let docker: DockerClient
        do {
            _ = try await authenticate(request)
            docker = try engine(host).docker
        } catch {
            return Self.error(JarvisError.wrap(error), request)
        }
        guard StacksFolder.isValidName(name) else { return Self.error(.invalidField("name", "not a stack name"), request) }
        let query = QueryString.parse(request.uri.query ?? "")
        guard let tail = Int(query["tail"] ?? "100"), (0...5000).contains(tail) else {
            return Self.error(.badRequest("tail must be a number 0...5000", code: "invalid_parameter"), request)
        }
        var resumed: [String: String]?
        if let resume = request.headers[Self.lastEventID] ?? query["last_event_id"], !resume.isEmpty {
            guard let positions = Self.positions(resume) else {
                return Self.error(.badRequest("Last-Event-ID is not a stack log position", code: "invalid_parameter"), request)
            }
            resumed = positions
        }
        let filters = ["label": ["\(ComposeLabel.project)=\(name)"]]
        let resuming = resumed
        return Self.stream { channel in
            let followed = Followed(resumingFrom: resuming ?? [:])
            try await withThrowingTaskGroup(of: Void.self) { group in
                var first = true
                while true {
                    let containers = try await docker.containers(ListContainersOptions(all: true, filters: filters))
                        .filter { $0.labels?[ComposeLabel.oneoff] != "True" }
                    for container in containers where container.state == "running" || first {
                        let (claimed, since) = followed.claim(container.id)
                        guard claimed else { continue }
                        let service = container.labels?[ComposeLabel.service] ?? "?"
                        // Containers present at the start show their last lines (unless resuming); later ones from where they begin.
                        let options = LogsOptions(follow: true, since: since.flatMap(Self.engineSince),
                                                  tail: first && resuming == nil && since == nil ? tail : nil)
                        group.addTask {
                            defer { followed.release(container.id) }
                            do {
                                for try await batch in try await docker.logBatches(container.id, options: options) {
                                    // The engine's timestamps have a fixed width: text order is time order.
                                    let fresh = batch.filter { since == nil || ($0.timestamp ?? "") > since! }
                                    guard let last = fresh.last else { continue }
                                    // The positions ride on a batch's last event: a reconnect resumes every container exactly.
                                    let id = last.timestamp.map { followed.positions(with: container.id, at: $0) }
                                    var out = ""
                                    for (index, line) in fresh.enumerated() {
                                        let payload = StackLogLine(service: service, container: container.name, stream: line.stream.rawValue,
                                                                   time: line.timestamp, line: line.text)
                                        out += ServerSentEvent.encode(id: index == fresh.count - 1 ? id : nil, event: "log",
                                                                      data: String(decoding: try JSONCoding.encoder.encode(payload), as: UTF8.self))
                                    }
                                    await channel.send(ByteBuffer(string: out))
                                    followed.saw(container.id, last.timestamp)
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
