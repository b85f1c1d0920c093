import Foundation

/// Why a TCP address does not take connections, for tools that do not say
/// (ssh-keyscan prints nothing when the port is closed or silent).
enum TCPReachability {
    enum Outcome: Equatable { case accepts, refused, timedOut, unresolved, failed(String) }

    static func check(host: String, port: Int, timeout: Int32 = 5) -> Outcome {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return .unresolved }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return .failed(String(cString: strerror(errno))) }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 { return .accepts }
        guard errno == EINPROGRESS else { return errno == ECONNREFUSED ? .refused : .failed(String(cString: strerror(errno))) }
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&entry, 1, timeout * 1000) == 1 else { return .timedOut }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        switch error {
        case 0: return .accepts
        case ECONNREFUSED: return .refused
        case ETIMEDOUT: return .timedOut
        default: return .failed(String(cString: strerror(error)))
        }
    }
}
