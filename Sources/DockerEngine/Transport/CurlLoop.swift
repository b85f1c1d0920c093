import CCurl
import CoreMetrics
import Foundation

/// One thread that drives every engine transfer of the process with the curl
/// multi interface, so a thousand log follows cost sockets, not threads.
final class CurlLoop: @unchecked Sendable {
    private enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case unpause(CurlTransfer)
    }

    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var commands: [Command] = []
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Transfers whose body file has no new bytes yet (loop thread only).
    private var waitingForInput: [CurlTransfer] = []
    /// Most transfers in flight at once so far, and the idle-connection cache sized for it (loop thread only).
    private var peakTransfers = 0
    private var connectionCacheSize = 0

    /// curl's default cache holds 4 connections per transfer *now* in flight, so when a burst
    /// ends it closes connections the next burst opens again: with TLS each costs parsing the
    /// host's CA, certificate and key (a few ms of CPU). Sized for the busiest moment instead.
    static func cacheSize(forPeak peakTransfers: Int) -> Int { max(256, 4 * peakTransfers) }

    /// The process-wide loop; its thread lives as long as the process.
    static let shared = CurlLoop()

    private init() {
        curl_global_init(Int(CURL_GLOBAL_ALL))
        multi = curl_multi_init()
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "jarvis-curl"
        thread.start()
    }

    /// Number of transfers in flight (for metrics and tests).
    var activeCount: Int { lock.withLock { active.count } }
    /// Connections opened so far (for metrics and tests): a transfer that reused one opened none.
    var connectionsOpened: Int { lock.withLock { opened } }
    private var opened = 0

    func start(_ transfer: CurlTransfer) {
        transfer.attach(to: self)
        enqueue(.add(transfer))
    }

    func cancel(_ transfer: CurlTransfer) { enqueue(.cancel(transfer)) }
    func unpause(_ transfer: CurlTransfer) { enqueue(.unpause(transfer)) }

    /// From a read callback (loop thread): ask for the body again after a short wait.
    func retryReadSoon(_ transfer: CurlTransfer) { waitingForInput.append(transfer) }

    private func enqueue(_ command: Command) {
        lock.withLock { commands.append(command) }
        curl_multi_wakeup(multi)
    }

    private func run() {
        var running: Int32 = 0
        while true {
            let pending: [Command] = lock.withLock { defer { commands.removeAll() }; return commands }
            for command in pending { apply(command) }
            curl_multi_perform(multi, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard jarvis_curl_msg_is_done(message) != 0, let easy = jarvis_curl_msg_handle(message) else { continue }
                let code = jarvis_curl_msg_result(message)
                finish(easy, result: code == CURLE_OK ? .success(()) : .failure(lock.withLock { active[easy] }?.failure(code)
                    ?? EngineError(.transport, message: String(cString: curl_easy_strerror(code)))))
            }
            curl_multi_poll(multi, nil, 0, waitingForInput.isEmpty ? 1000 : 5, nil)
            let waiting = waitingForInput
            waitingForInput = []
            for transfer in waiting where lock.withLock({ active[transfer.easy] != nil }) {
                curl_easy_pause(transfer.easy, CURLPAUSE_CONT)
            }
        }
    }

    private func apply(_ command: Command) {
        switch command {
        case let .add(transfer):
            let count = lock.withLock { active[transfer.easy] = transfer; return active.count }
            if count > peakTransfers || connectionCacheSize == 0 {
                peakTransfers = max(peakTransfers, count)
                let size = Self.cacheSize(forPeak: peakTransfers)
                if size != connectionCacheSize {
                    connectionCacheSize = size
                    jarvis_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, size)
                }
            }
            curl_multi_add_handle(multi, transfer.easy)
        case let .cancel(transfer):
            guard lock.withLock({ active[transfer.easy] != nil }) else { return }
            finish(transfer.easy, result: .failure(EngineError(.cancelled, message: "cancelled by the consumer")))
        case let .unpause(transfer):
            guard lock.withLock({ active[transfer.easy] != nil }) else { return }
            curl_easy_pause(transfer.easy, CURLPAUSE_CONT)
        }
    }

    private func finish(_ easy: UnsafeMutableRawPointer, result: Result<Void, EngineError>) {
        var connects = 0
        jarvis_curl_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        curl_multi_remove_handle(multi, easy)
        guard let transfer = lock.withLock({ opened += connects; return active.removeValue(forKey: easy) }) else { return }
        if connects > 0 {
            Counter(label: "jarvis_engine_connections_opened_total", dimensions: [("engine", transfer.engineLabel)]).increment(by: connects)
        }
        transfer.complete(result)
    }
}
