import Foundation

/// One member of a tar stream, with PAX and GNU long names applied.
public struct TarEntry: Sendable, Equatable {
    public enum Kind: String, Sendable, Encodable { case file, directory, symlink, hardlink, other }
    public let name: String
    public let kind: Kind
    public let size: Int64
    public let mode: Int
    public let mtime: Int64
    public let linkTarget: String?
}

/// Reads tar headers from chunks of any size and skips the contents: constant memory
/// whatever the archive's size. Understands ustar, PAX (`x`, `g`) and GNU long names (`L`, `K`).
public struct TarScanner {
    private enum State { case header, skip(Int64), meta(kind: UInt8, size: Int, padding: Int), done }
    private var state = State.header
    private var block: [UInt8] = []
    private var meta: [UInt8] = []
    private var paxPath: String?
    private var paxLink: String?
    private var paxSize: Int64?
    private var longName: String?
    private var longLink: String?
    public private(set) var finished = false

    public init() {}

    /// Feeds bytes; returns the entries whose headers completed in them.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws -> [TarEntry] {
        var entries: [TarEntry] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            switch state {
            case .done:
                return entries
            case let .skip(left):
                let available = bytes.distance(from: index, to: bytes.endIndex)
                let take = Int(min(Int64(available), left))
                index = bytes.index(index, offsetBy: take)
                state = left - Int64(take) == 0 ? .header : .skip(left - Int64(take))
            case let .meta(kind, size, padding):
                let need = size + padding - meta.count
                let available = bytes.distance(from: index, to: bytes.endIndex)
                let take = min(need, available)
                let end = bytes.index(index, offsetBy: take)
                meta.append(contentsOf: bytes[index..<end])
                index = end
                if meta.count == size + padding {
                    absorbMeta(kind: kind, Array(meta.prefix(size)))
                    meta = []
                    state = .header
                }
            case .header:
                let available = bytes.distance(from: index, to: bytes.endIndex)
                let take = min(512 - block.count, available)
                let end = bytes.index(index, offsetBy: take)
                block.append(contentsOf: bytes[index..<end])
                index = end
                guard block.count == 512 else { continue }
                let header = block
                block = []
                if header.allSatisfy({ $0 == 0 }) {
                    state = .done
                    finished = true
                    return entries
                }
                if let entry = try parse(header) { entries.append(entry) }
            }
        }
        return entries
    }

    private mutating func parse(_ header: [UInt8]) throws -> TarEntry? {
        guard checksumMatches(header) else { throw JarvisError(502, "bad_archive", "the archive has a damaged header") }
        let type = header[156]
        let size = paxSize ?? Self.number(header[124..<136])
        let padded = (size + 511) / 512 * 512
        switch type {
        case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
            guard size <= 1 << 20 else { throw JarvisError(502, "bad_archive", "an archive header record is over 1 MiB") }
            state = .meta(kind: type, size: Int(size), padding: Int(padded - size))
            if size == 0 { state = .header }
            return nil
        default: break
        }
        var name = Self.string(header[0..<100])
        let prefix = Self.string(header[345..<500])
        if Array(header[257..<262]) == Array("ustar".utf8), !prefix.isEmpty { name = prefix + "/" + name }
        name = longName ?? paxPath ?? name
        let link = longLink ?? paxLink ?? Self.string(header[157..<257])
        let kind: TarEntry.Kind
        switch type {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): kind = .file
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "2"): kind = .symlink
        case UInt8(ascii: "1"): kind = .hardlink
        default: kind = .other
        }
        let entry = TarEntry(name: name, kind: kind, size: kind == .file ? size : 0, mode: Int(Self.number(header[100..<108])),
                             mtime: Self.number(header[136..<148]), linkTarget: [.symlink, .hardlink].contains(kind) ? link : nil)
        paxPath = nil; paxLink = nil; paxSize = nil; longName = nil; longLink = nil
        state = padded > 0 && (kind == .file || kind == .other) ? .skip(padded) : .header
        return entry
    }

    private mutating func absorbMeta(kind: UInt8, _ data: [UInt8]) {
        switch kind {
        case UInt8(ascii: "L"): longName = Self.string(data[...])
        case UInt8(ascii: "K"): longLink = Self.string(data[...])
        case UInt8(ascii: "x"):
            // Records: "<length> <key>=<value>\n".
            var rest = data[...]
            while let space = rest.firstIndex(of: 0x20), let length = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self)),
                  length > 0, rest.count >= length {
                let record = rest[rest.index(after: space)..<rest.index(rest.startIndex, offsetBy: length - 1)]
                if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                    let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
                    let value = String(decoding: record[record.index(after: equals)...], as: UTF8.self)
                    switch key {
                    case "path": paxPath = value
                    case "linkpath": paxLink = value
                    case "size": paxSize = Int64(value)
                    default: break
                    }
                }
                rest = rest.dropFirst(length)
            }
        default: break  // global headers: nothing Jarvis needs
        }
    }

    private func checksumMatches(_ header: [UInt8]) -> Bool {
        let stored = Self.number(header[148..<156])
        var sum = 0
        for (offset, byte) in header.enumerated() { sum += (148..<156).contains(offset) ? 0x20 : Int(byte) }
        return Int64(sum) == stored
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Octal, or GNU base-256 for large values (high bit of the first byte).
    static func number(_ bytes: ArraySlice<UInt8>) -> Int64 {
        if let first = bytes.first, first & 0x80 != 0 {
            return bytes.dropFirst().reduce(Int64(first & 0x7F)) { ($0 << 8) | Int64($1) }
        }
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return Int64(text, radix: 8) ?? 0
    }
}

/// Writes a tar stream: headers built here, contents copied from files in pieces.
public enum TarWriter {
    /// A ustar header; names over 100 bytes are refused by the callers.
    public static func header(name: String, size: Int64, mode: Int, type: UInt8 = UInt8(ascii: "0"), mtime: Int64 = Int64(Date().timeIntervalSince1970)) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: some Sequence<UInt8>, at offset: Int, width: Int) {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8, at: offset, width: width - 1)
        }
        put(name.utf8, at: 0, width: 100)
        octal(Int64(mode), at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        put(Array(repeating: 0x20, count: 8), at: 148, width: 8)
        block[156] = type
        put("ustar".utf8, at: 257, width: 6)
        put("00".utf8, at: 263, width: 2)
        let sum = block.reduce(0) { $0 + Int($1) }
        octal(Int64(sum), at: 148, width: 7)
        block[154] = 0
        block[155] = 0x20
        return block
    }

    /// The zero padding after `size` bytes of contents.
    public static func padding(_ size: Int64) -> [UInt8] { [UInt8](repeating: 0, count: Int((512 - size % 512) % 512)) }

    /// The two zero blocks that end an archive.
    public static let end = [UInt8](repeating: 0, count: 1024)

    /// Copies the file at `source` into a new archive at `archive` as the one member `name`, 256 KiB at a time.
    public static func wrap(_ source: String, as name: String, into archive: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw JarvisError(500, "upload_failed", "the upload vanished") }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw JarvisError(500, "upload_failed", "cannot read the upload") }
        let output = open(archive, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw JarvisError(500, "upload_failed", "cannot write the archive: \(String(cString: strerror(errno)))") }
        defer { close(output) }
        func put(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                let count = write(output, bytes.baseAddress! + offset, bytes.count - offset)
                guard count > 0 else { throw JarvisError(507, "insufficient_storage", "cannot write the archive: \(String(cString: strerror(errno)))") }
                offset += count
            }
        }
        let size = Int64(info.st_size)
        try header(name: name, size: size, mode: 0o644).withUnsafeBytes(put)
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        var copied: Int64 = 0
        while copied < size {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            guard count > 0 else { throw JarvisError(500, "upload_failed", "the upload ended early") }
            try buffer.withUnsafeBytes { try put(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
            copied += Int64(count)
        }
        try (padding(size) + end).withUnsafeBytes(put)
    }
}
