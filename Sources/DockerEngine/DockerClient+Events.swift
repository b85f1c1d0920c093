/// Parameters of `GET /events`.
public struct EventsOptions: Sendable {
    /// Unix seconds; past events from then on are replayed first.
    public var since: String?
    public var until: String?
    public var filters: [String: [String]]

    public init(since: String? = nil, until: String? = nil, filters: [String: [String]] = [:]) {
        self.since = since
        self.until = until
        self.filters = filters
    }
}

extension DockerClient {
    /// `GET /events` as a stream of decoded events, ended by the consumer.
    public func events(_ options: EventsOptions = .init()) async throws -> AsyncThrowingStream<EngineEvent, Error> {
        var query: [(String, String)] = []
        if let since = options.since { query.append(("since", since)) }
        if let until = options.until { query.append(("until", until)) }
        if !options.filters.isEmpty { query.append(("filters", try Self.encodeFilters(options.filters))) }
        let source = try await openStream(EngineRequest("GET", "/events", query: query, timeout: 0))
        let reader = JSONLineReader<EngineEvent>(source: source)
        return AsyncThrowingStream { try await reader.next() }
    }
}

/// Pull-based JSON-lines reader over an engine stream.
final class JSONLineReader<Value: Decodable & Sendable>: @unchecked Sendable {
    private let source: EngineByteStream
    private var decoder = JSONLineDecoder<Value>()
    private var ready: [Value] = []
    private var ended = false

    init(source: EngineByteStream) { self.source = source }

    func next() async throws -> Value? {
        while ready.isEmpty {
            if ended { return nil }
            guard let chunk = try await source.next() else {
                ended = true
                ready = try decoder.finish()
                continue
            }
            ready = try decoder.feed(chunk)
        }
        return ready.removeFirst()
    }
}
