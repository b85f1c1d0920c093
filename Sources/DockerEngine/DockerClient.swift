import CoreMetrics
import Foundation
import Logging

/// A typed client for the Docker Engine API. Every call goes through `send`
/// (one request path, one error mapping); the API version is negotiated on
/// first use and again after the engine was unreachable.
public final class DockerClient: @unchecked Sendable {
    public let host: DockerHost
    /// When true, every call that could change the engine's state is refused
    /// here, before anything is sent: only GET and HEAD reach the engine.
    public let readOnly: Bool
    /// Judges every request that changes the engine, after the read-only check.
    public let admission: (any EngineAdmission)?
    private let logger: Logger
    private let loop = CurlLoop.shared
    private let lock = NSLock()
    private var negotiated: APIVersion?

    public init(host: DockerHost, readOnly: Bool = false, admission: (any EngineAdmission)? = nil,
                logger: Logger = Logger(label: "jarvis.docker")) {
        self.host = host
        self.readOnly = readOnly
        self.admission = admission
        self.logger = logger
    }

    /// The door every request passes before it is sent: read-only mode, then the admission rule.
    func admit(_ request: EngineRequest) async throws {
        guard !["GET", "HEAD"].contains(request.method) else { return }
        if readOnly {
            throw EngineError(.readOnly, message: "Jarvis is in read-only mode: \(request.method) \(request.path) was not sent to the engine")
        }
        try await admission?.admit(request, client: self)
    }

    /// The version in use, negotiating it first if needed.
    public func apiVersion() async throws -> APIVersion {
        if let version = lock.withLock({ negotiated }) { return version }
        let response = try await perform(EngineRequest("GET", "/_ping", timeout: 10, versioned: false), version: nil)
        guard let header = response.header("Api-Version"), let engine = APIVersion(header) else {
            throw EngineError(.decoding, status: response.status, message: "engine /_ping has no usable Api-Version header")
        }
        let version = try APIVersion.negotiate(engine: engine)
        lock.withLock { negotiated = version }
        logger.debug("negotiated engine API", metadata: ["engine": "\(engine)", "using": "\(version)"])
        return version
    }

    /// Sends a request and returns the whole answer; non-2xx answers throw.
    public func send(_ request: EngineRequest) async throws -> EngineResponse {
        try await admit(request)
        let version = request.versioned ? try await apiVersion() : nil
        let response = try await perform(request, version: version)
        guard (200..<400).contains(response.status) else {
            throw EngineError.fromResponse(status: response.status, body: response.body)
        }
        return response
    }

    /// Sends a request and decodes its JSON body.
    func decode<T: Decodable>(_ type: T.Type, _ request: EngineRequest) async throws -> T {
        let response = try await send(request)
        do {
            return try JSONDecoderFactory.engine.decode(T.self, from: Data(response.body))
        } catch {
            throw EngineError(.decoding, status: response.status, message: "cannot decode \(T.self) from \(request.path): \(error)")
        }
    }

    /// Opens a streaming request: returns once the engine answered 2xx, with the body still to come.
    public func openStream(_ request: EngineRequest) async throws -> EngineByteStream {
        try await admit(request)
        let version = request.versioned ? try await apiVersion() : nil
        let transfer = CurlTransfer(request: request, route: try await route(), version: version)
        if let error = transfer.setupError { throw error }
        transfer.isStreaming = true
        transfer.setReceiveBuffer(request.streamBufferSize)
        loop.start(transfer)
        let stream = EngineByteStream(transfer: transfer)
        do {
            let head = try await withTaskCancellationHandler {
                try await transfer.waitForHead()
            } onCancel: { transfer.cancel() }
            guard (200..<300).contains(head.status) else {
                var body: [UInt8] = []
                while let chunk = try await stream.next(), body.count < 65536 { body += chunk }
                throw EngineError.fromResponse(status: head.status, body: body)
            }
            return stream
        } catch let error as EngineError {
            forgetVersionIfUnreachable(error)
            throw error
        }
    }

    private func perform(_ request: EngineRequest, version: APIVersion?) async throws -> EngineResponse {
        do { return try await performOnce(request, version: version) } catch let error as EngineError where error.closedAfterHandshake {
            guard ["GET", "HEAD"].contains(request.method) else { try await explainClosedHandshake(); throw error }
            var again = request
            again.freshConnection = true
            do { return try await performOnce(again, version: version) } catch let retry as EngineError where retry.closedAfterHandshake {
                try await explainClosedHandshake()
                throw retry
            }
        }
    }

    /// A TLS engine that closed right after the handshake may have refused our certificate, but its
    /// alert can lose the race with its close while a request is on its way: ask once more, sending
    /// nothing, and throw the server's own reason when it gives one.
    private func explainClosedHandshake() async throws {
        if case .tls = host.transport { try await TLSHandshakeCheck.run(EngineRoute(direct: host)) }
    }

    private func performOnce(_ request: EngineRequest, version: APIVersion?) async throws -> EngineResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            Timer(label: "jarvis_engine_request_duration_seconds", dimensions: [("method", request.method), ("endpoint", request.endpoint)])
                .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        }
        let transfer = CurlTransfer(request: request, route: try await route(), version: version)
        if let error = transfer.setupError { throw error }
        loop.start(transfer)
        do {
            let head = try await withTaskCancellationHandler {
                try await transfer.waitForHead()
            } onCancel: { transfer.cancel() }
            var body: [UInt8] = []
            while let chunk = try await transfer.nextChunk() { body += chunk }
            return EngineResponse(status: head.status, headers: head.headers, body: body,
                                  peerCertificates: request.collectCertificates ? transfer.peerCertificates() : [])
        } catch let error as EngineError {
            forgetVersionIfUnreachable(error)
            throw error
        }
    }

    /// How the next request reaches the engine (starts an SSH tunnel when needed).
    func route() async throws -> EngineRoute {
        do { return try await host.route() } catch let error as EngineError {
            forgetVersionIfUnreachable(error)
            throw error
        }
    }

    /// Sends a request without the version prefix or the admission door (the probe's raw reads).
    func performRaw(_ request: EngineRequest) async throws -> EngineResponse {
        try await perform(request, version: nil)
    }

    /// A restarted or upgraded engine may speak another version: ask again next time.
    private func forgetVersionIfUnreachable(_ error: EngineError) {
        guard error.code.isUnreachable else { return }
        lock.withLock { negotiated = nil }
        if case let .ssh(endpoint) = host.transport { SSHTunnels.shared.recover(endpoint) }
    }

    /// Transfers in flight in this process (all clients share one curl loop).
    public static var activeTransfers: Int { CurlLoop.shared.activeCount }

    /// Engine connections this process opened so far; a request on a kept connection opens none.
    public static var connectionsOpened: Int { CurlLoop.shared.connectionsOpened }
}

/// The body of a streaming call, pulled chunk by chunk. Stops the engine
/// transfer when cancelled or released.
public final class EngineByteStream: @unchecked Sendable {
    private let transfer: CurlTransfer

    init(transfer: CurlTransfer) { self.transfer = transfer }

    deinit { transfer.cancel() }

    /// The next chunk, or nil when the engine closed the stream.
    public func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await transfer.nextChunk()
        } onCancel: { [transfer] in transfer.cancel() }
    }

    /// Chunks that already arrived, without waiting: lets readers batch under load.
    public func takeBuffered() -> [[UInt8]] { transfer.takeBuffered() }

    public func cancel() { transfer.cancel() }
}

enum JSONDecoderFactory {
    static let engine = JSONDecoder()
}
