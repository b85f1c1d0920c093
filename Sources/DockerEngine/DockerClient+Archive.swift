import Foundation

extension DockerClient {
    /// `HEAD /containers/{id}/archive?path=`: what is at `path` (the last component is not followed).
    public func archiveStat(_ container: String, path: String) async throws -> PathStat {
        let response = try await send(EngineRequest("HEAD", "/containers/\(try Self.validID(container))/archive", query: [("path", path)]))
        guard let header = response.header("X-Docker-Container-Path-Stat"), let data = Data(base64Encoded: header) else {
            throw EngineError(.decoding, status: response.status, message: "the engine sent no path stat for \(path)")
        }
        do {
            return try JSONDecoderFactory.engine.decode(PathStat.self, from: data)
        } catch {
            throw EngineError(.decoding, status: response.status, message: "cannot decode the path stat of \(path): \(error)")
        }
    }

    /// `GET /containers/{id}/archive?path=`: `path` as a tar stream, pulled as the reader goes.
    public func archiveStream(_ container: String, path: String) async throws -> EngineByteStream {
        var request = EngineRequest("GET", "/containers/\(try Self.validID(container))/archive", query: [("path", path)], timeout: 0)
        request.streamBufferSize = 256 << 10
        return try await openStream(request)
    }

    /// `PUT /containers/{id}/archive?path=`: unpacks the tar at `archive` (a file on disk) into the folder `path`.
    public func putArchive(_ container: String, path: String, archive: String) async throws {
        var request = EngineRequest("PUT", "/containers/\(try Self.validID(container))/archive",
                                    query: [("path", path), ("noOverwriteDirNonDir", "1")],
                                    headers: [("Content-Type", "application/x-tar")], timeout: 0)
        request.bodyFile = archive
        _ = try await send(request)
    }

    /// `POST /images/create?fromSrc=-`: imports a root file system tar (in memory, small) as `repository:tag`.
    public func importImage(_ tar: [UInt8], repository: String, tag: String, changes: [String] = []) async throws {
        var query = [("fromSrc", "-"), ("repo", repository), ("tag", tag)]
        query += changes.map { ("changes", $0) }
        let response = try await send(EngineRequest("POST", "/images/create", query: query,
                                                    headers: [("Content-Type", "application/x-tar")], body: tar, timeout: 120))
        // Errors arrive in the body after a 200, as with pulls.
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") {
            if let message = try? JSONDecoderFactory.engine.decode(ProgressMessage.self, from: Data(line.utf8)), let failure = message.failure {
                throw EngineError(.serverError, message: "image import failed: \(failure)")
            }
        }
    }
}
