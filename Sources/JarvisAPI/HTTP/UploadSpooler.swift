import Foundation
import JarvisCore

/// A request body that went to disk as it arrived.
public struct UploadedFile: Sendable {
    public let path: String
    public let filename: String
    /// Nil while the body is still arriving and its length is not declared (multipart).
    public let size: Int64?
    /// Detected from the first bytes: `tar`, `gzip`, or `text` (a lone Dockerfile).
    public let format: String
    /// Other multipart form fields (small, text).
    public let fields: [String: String]
}

/// What an upload endpoint accepts.
public enum UploadKind: Sendable {
    /// `.tar`, `.tar.gz`, `.tgz` image archives.
    case imageArchive
    /// The same archives as a build context, or a single Dockerfile.
    case buildContext
    /// Any file for a volume's folder (a `.tar` may be unpacked there).
    case volumeFile
}

/// Writes a request body to a file chunk by chunk: either the raw body (name
/// from `?filename=`) or the `file` field of a `multipart/form-data` body.
/// Checks the name's suffix and the first bytes before the rest arrives, so a
/// wrong file is refused early; memory stays at one chunk plus a boundary.
public final class UploadSpooler {
    private let kind: UploadKind
    private let directory: String
    private let maxBytes: Int64
    /// Set once; the partial file goes at once, so a task following it stops.
    private var failure: JarvisError? {
        didSet { if failure != nil { discardFile() } }
    }
    private let declaredLength: Int64?
    private var multipart: MultipartScanner?
    private var fields: [String: String] = [:]
    private var fileName: String?
    private var fd: Int32 = -1
    private var path: String?
    private var written: Int64 = 0
    private var head: [UInt8] = []
    private var format: String?
    private var fileSeen = false

    /// `contentType` decides raw vs multipart; `filename` is the raw body's name;
    /// `contentLength` is the raw body's size when the client declared it.
    public init(kind: UploadKind, directory: String, maxBytes: Int64, contentType: String?, filename: String?,
                contentLength: Int64? = nil) {
        self.kind = kind
        self.directory = directory
        self.maxBytes = maxBytes
        let isMultipart = contentType?.lowercased().hasPrefix("multipart/form-data") ?? false
        declaredLength = isMultipart ? nil : contentLength
        if let contentType, isMultipart {
            guard let boundary = Self.boundary(contentType) else {
                failure = JarvisError.badRequest("multipart body without a boundary", code: "malformed_upload")
                return
            }
            multipart = MultipartScanner(boundary: boundary)
        } else {
            guard let filename, !filename.isEmpty else {
                failure = JarvisError.badRequest("name the file with ?filename=NAME.tar, or send a multipart form with a file field",
                                                 code: "missing_filename")
                return
            }
            begin(filename: filename)
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Why this upload is refused, as soon as that is known (from the params
    /// alone: no filename, a wrong suffix, no boundary; later: a wrong format,
    /// too large). The server then stops reading the body.
    public var refusal: JarvisError? { failure }

    /// The file as soon as its first bytes passed the format check, while the
    /// rest still arrives: a task may start on it and follow the writes.
    public var fileSoFar: UploadedFile? {
        guard failure == nil, let path, let fileName, let format else { return nil }
        return UploadedFile(path: path, filename: fileName, size: declaredLength, format: format, fields: fields)
    }

    /// Stops early (the request was refused after all): the partial file goes.
    public func abandon() {
        if failure == nil { failure = JarvisError.badRequest("the upload was abandoned", code: "upload_abandoned") }
    }

    private func discardFile() {
        if fd >= 0 { close(fd); fd = -1 }
        if let path { unlink(path) }
    }

    /// Feeds the next piece of the body. Once an error is set the rest is only drained.
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        if let scanner = multipart {
            scanner.feed(bytes) { event in
                guard failure == nil else { return }
                switch event {
                case let .partStart(name, filename):
                    if name == "file", let filename {
                        if fileSeen { failure = JarvisError.badRequest("send one file per upload", code: "malformed_upload"); return }
                        fileSeen = true
                        begin(filename: filename)
                    } else {
                        fields[name] = ""
                        currentField = name
                    }
                case let .data(chunk):
                    if let field = currentField {
                        guard (fields[field]?.utf8.count ?? 0) + chunk.count <= 65536 else {
                            failure = JarvisError.badRequest("form field \(field) is over 64 KiB", code: "malformed_upload")
                            return
                        }
                        fields[field, default: ""] += String(decoding: chunk, as: UTF8.self)
                    } else if fileName != nil {
                        write(chunk)
                    }
                case .partEnd:
                    currentField = nil
                case let .malformed(message):
                    failure = JarvisError.badRequest(message, code: "malformed_upload")
                }
            }
        } else {
            write(bytes)
        }
    }

    private var currentField: String?

    /// The stored file, or the reason there is none (the partial file is removed).
    public func finish() -> Result<UploadedFile, JarvisError> {
        if failure == nil, let multipart, !multipart.complete {
            failure = JarvisError.badRequest("the multipart body ended early (upload cut off?)", code: "malformed_upload")
        }
        if failure == nil, fileName == nil {
            failure = JarvisError.badRequest("the form has no file field", code: "missing_file")
        }
        if failure == nil, let declaredLength, written != declaredLength {
            failure = JarvisError.badRequest("the upload was cut off after \(written) of \(declaredLength) bytes", code: "malformed_upload")
        }
        if failure == nil { checkFormat(final: true) }
        if let failure { return .failure(failure) }
        // Read-only says "complete" to a reader following the file (EngineRequest.bodyFollowsWriter).
        fchmod(fd, 0o400)
        close(fd)
        fd = -1
        return .success(UploadedFile(path: path!, filename: fileName!, size: written, format: format ?? "tar", fields: fields))
    }

    private func begin(filename: String) {
        let name = (filename as NSString).lastPathComponent
        let lower = name.lowercased()
        let archive = [".tar", ".tar.gz", ".tgz"].contains { lower.hasSuffix($0) }
        if !archive && kind == .imageArchive {
            failure = JarvisError(415, "unsupported_media_type", "\(name.prefix(100)): upload a .tar, .tar.gz or .tgz image archive")
            return
        }
        fileName = name
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            failure = JarvisError(500, "upload_failed", "cannot create the upload folder")
            return
        }
        let target = directory + "/" + UUID().uuidString.lowercased() + ".upload"
        fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            failure = JarvisError(500, "upload_failed", "cannot store the upload: \(String(cString: strerror(errno)))")
            return
        }
        path = target
    }

    private func write(_ bytes: UnsafeRawBufferPointer) {
        guard fd >= 0, bytes.count > 0 else { return }
        written += Int64(bytes.count)
        guard written <= maxBytes else {
            failure = JarvisError(413, "payload_too_large", "the upload is over the limit of \(maxBytes) bytes (upload_max_bytes)")
            return
        }
        if format == nil {
            head.append(contentsOf: bytes.prefix(max(0, 512 - head.count)))
            checkFormat(final: false)
            guard failure == nil else { return }
        }
        var offset = 0
        while offset < bytes.count {
            let count = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            guard count > 0 else {
                failure = JarvisError(507, "insufficient_storage", "cannot store the upload: \(String(cString: strerror(errno)))")
                return
            }
            offset += count
        }
    }

    /// Decides the format once enough bytes arrived (or the body ended).
    private func checkFormat(final: Bool) {
        guard format == nil, let name = fileName?.lowercased() else { return }
        if kind == .volumeFile {
            // Any file goes; a tar is told by its magic so the route can refuse to unpack anything else.
            if head.count >= 262 || final { format = Array(head.dropFirst(257).prefix(5)) == Array("ustar".utf8) ? "tar" : "file" }
            return
        }
        let gzip = head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B
        let tar = head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
        let archiveName = [".tar", ".tar.gz", ".tgz"].contains { name.hasSuffix($0) }
        if archiveName {
            let expectsGzip = !name.hasSuffix(".tar")
            if expectsGzip ? gzip : tar { format = expectsGzip ? "gzip" : "tar"; return }
            if expectsGzip ? head.count >= 2 : head.count >= 262 || final {
                failure = JarvisError(415, "unsupported_media_type",
                                      "\(fileName!.prefix(100)) is not a \(expectsGzip ? "gzip-compressed" : "tar") archive (its first bytes say otherwise)")
            }
            return
        }
        // A build context that is not an archive: a single Dockerfile, text only and small.
        if head.contains(0) || written > 1 << 20 {
            failure = JarvisError(415, "unsupported_media_type", "\(fileName!.prefix(100)): upload a .tar or .tar.gz context, or a text Dockerfile under 1 MiB")
            return
        }
        if final { format = "text" }
    }

    static func boundary(_ contentType: String) -> String? {
        for part in contentType.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix("boundary=") else { continue }
            let value = pair.dropFirst("boundary=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return value.isEmpty || value.count > 200 ? nil : value
        }
        return nil
    }
}

/// A streaming `multipart/form-data` scanner: reports part starts, data and ends
/// across arbitrary chunk boundaries, keeping back only what could begin a delimiter.
final class MultipartScanner {
    enum Event {
        case partStart(name: String, filename: String?)
        case data(UnsafeRawBufferPointer)
        case partEnd
        case malformed(String)
    }

    private enum State { case preamble, headers, body, afterDelimiter, done }
    private let delimiter: [UInt8]
    private var state = State.preamble
    private var carry: [UInt8]
    private(set) var complete = false

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        carry = Array("\r\n".utf8)  // the first delimiter has no CRLF before it
    }

    func feed(_ input: UnsafeRawBufferPointer, _ emit: (Event) -> Void) {
        var buffer = carry
        buffer.append(contentsOf: input)
        carry = []
        buffer.withUnsafeBytes { bytes in
            var position = 0
            while position < bytes.count {
                switch state {
                case .done:
                    return
                case .preamble, .body:
                    if let match = find(bytes, from: position) {
                        if state == .body {
                            emit(.data(UnsafeRawBufferPointer(rebasing: bytes[position..<match])))
                            emit(.partEnd)
                        }
                        position = match + delimiter.count
                        state = .afterDelimiter
                    } else {
                        // Keep what might be the start of a delimiter for the next chunk.
                        let keep = min(delimiter.count - 1, bytes.count - position)
                        let safeEnd = bytes.count - keep
                        if state == .body && safeEnd > position {
                            emit(.data(UnsafeRawBufferPointer(rebasing: bytes[position..<safeEnd])))
                        }
                        carry = Array(bytes[safeEnd...])
                        return
                    }
                case .afterDelimiter:
                    guard bytes.count - position >= 2 else { carry = Array(bytes[position...]); return }
                    if bytes[position] == 0x2D && bytes[position + 1] == 0x2D {
                        state = .done
                        complete = true
                        return
                    }
                    guard bytes[position] == 0x0D && bytes[position + 1] == 0x0A else {
                        emit(.malformed("malformed multipart delimiter")); state = .done; return
                    }
                    position += 2
                    state = .headers
                case .headers:
                    let rest = UnsafeRawBufferPointer(rebasing: bytes[position...])
                    guard let end = Self.headerEnd(rest) else {
                        guard rest.count < 16384 else { emit(.malformed("multipart part headers over 16 KiB")); state = .done; return }
                        carry = Array(rest)
                        return
                    }
                    let text = String(decoding: rest[..<end], as: UTF8.self)
                    guard let (name, filename) = Self.disposition(text) else {
                        emit(.malformed("multipart part without a form-data name")); state = .done; return
                    }
                    emit(.partStart(name: name, filename: filename))
                    position += end + 4
                    state = .body
                }
            }
        }
    }

    /// First delimiter at or after `from`: memchr to each CR, then compare.
    private func find(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var start = from
        let base = bytes.baseAddress!
        while start + delimiter.count <= bytes.count {
            guard let hit = memchr(base + start, 0x0D, bytes.count - start) else { return nil }
            let index = base.distance(to: UnsafeRawPointer(hit))
            guard index + delimiter.count <= bytes.count else { return nil }
            if memcmp(base + index, delimiter, delimiter.count) == 0 { return index }
            start = index + 1
        }
        return nil
    }

    private static func headerEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 0x0D && bytes[index + 1] == 0x0A
            && bytes[index + 2] == 0x0D && bytes[index + 3] == 0x0A {
            return index
        }
        return nil
    }

    /// `name` and `filename` of `Content-Disposition: form-data; name="file"; filename="a.tar"`.
    static func disposition(_ headers: String) -> (String, String?)? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
            var name: String?
            var filename: String?
            for item in line.split(separator: ";").dropFirst() {
                let pair = item.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let key = pair[0].trimmingCharacters(in: .whitespaces).lowercased()
                let value = pair[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                if key == "name" { name = value } else if key == "filename" { filename = value }
            }
            return name.map { ($0, filename) }
        }
        return nil
    }
}
