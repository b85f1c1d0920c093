extension DockerClient {
    /// `GET /containers/{id}/logs` as lines. `tty` says how the engine frames the
    /// output (raw bytes for TTY containers); nil looks it up first.
    /// The stream ends with the log (or, when following, when the container stops)
    /// and releases the engine connection as soon as the consumer stops.
    public func logs(_ id: String, options: LogsOptions, tty: Bool? = nil) async throws -> AsyncThrowingStream<LogLine, Error> {
        let isTTY: Bool
        if let tty { isTTY = tty } else { isTTY = try await container(id).config.tty ?? false }
        let source = try await openStream(EngineRequest("GET", "/containers/\(try Self.validID(id))/logs",
                                                        query: options.query, timeout: 0))
        let reader = LogReader(source: source, tty: isTTY, timestamps: options.timestamps)
        return AsyncThrowingStream { try await reader.next() }
    }
}

/// Pull-based decoder state for one log stream: nothing is read from the engine
/// until the consumer asks, so a slow consumer pauses the transfer.
private final class LogReader: @unchecked Sendable {
    private let source: EngineByteStream
    private let tty: Bool
    private var frames = LogFrameDecoder()
    private var splitter: LogLineSplitter
    private var ready: [LogLine] = []
    private var readyIndex = 0
    private var ended = false

    init(source: EngineByteStream, tty: Bool, timestamps: Bool) {
        self.source = source
        self.tty = tty
        splitter = LogLineSplitter(timestamps: timestamps)
    }

    func next() async throws -> LogLine? {
        while readyIndex == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            if ended { return nil }
            guard let chunk = try await source.next() else {
                ended = true
                ready = splitter.finish()
                continue
            }
            if tty {
                ready = splitter.feed(chunk, stream: .stdout)
            } else {
                for frame in try frames.feed(chunk) { ready += splitter.feed(frame.payload, stream: frame.stream) }
            }
        }
        defer { readyIndex += 1 }
        return ready[readyIndex]
    }
}
