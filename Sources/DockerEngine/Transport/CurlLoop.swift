import CCurl
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
            lock.withLock { active[transfer.easy] = transfer }
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
        curl_multi_remove_handle(multi, easy)
        guard let transfer = lock.withLock({ active.removeValue(forKey: easy) }) else { return }
        transfer.complete(result)
    }
}
