extension DockerClient {
    /// `GET /containers/{id}/logs` as lines. `tty` says how the engine frames the
    /// output (raw bytes for TTY containers); nil looks it up first.
    /// The stream ends with the log (or, when following, when the container stops)
    /// and releases the engine connection as soon as the consumer stops.
    public func logs(_ id: String, options: LogsOptions, tty: Bool? = nil) async throws -> AsyncThrowingStream<LogLine, Error> {
        let reader = try await logReader(id, options: options, tty: tty)
        return AsyncThrowingStream { try await reader.next() }
    }

    /// The same lines in batches: whatever one engine chunk held. Streams that
    /// forward many lines (SSE follows) pay their per-write costs per batch.
    public func logBatches(_ id: String, options: LogsOptions, tty: Bool? = nil) async throws -> AsyncThrowingStream<[LogLine], Error> {
        let reader = try await logReader(id, options: options, tty: tty)
        return AsyncThrowingStream { try await reader.nextBatch() }
    }

    private func logReader(_ id: String, options: LogsOptions, tty: Bool?) async throws -> LogReader {
        let isTTY: Bool
        if let tty { isTTY = tty } else { isTTY = try await container(id).config.tty ?? false }
        let source = try await openStream(EngineRequest("GET", "/containers/\(try Self.validID(id))/logs",
                                                        query: options.query, timeout: 0))
        return LogReader(source: source, tty: isTTY, timestamps: options.timestamps)
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

    /// The lines decoded so far (at least one), or nil at the end.
    func nextBatch() async throws -> [LogLine]? {
        guard let first = try await next() else { return nil }
        var batch = [first]
        batch += ready[readyIndex...]
        readyIndex = ready.count
        for chunk in source.takeBuffered() { batch += try decode(chunk) }
        return batch
    }

    private func decode(_ chunk: [UInt8]) throws -> [LogLine] {
        if tty { return splitter.feed(chunk, stream: .stdout) }
        var lines: [LogLine] = []
        for frame in try frames.feed(chunk) { lines += splitter.feed(frame.payload, stream: frame.stream) }
        return lines
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
            ready = try decode(chunk)
        }
        defer { readyIndex += 1 }
        return ready[readyIndex]
    }
}
