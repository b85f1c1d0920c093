import DockerEngine
import Foundation

/// Parameters the API stores for each image task (no secrets: a one-time
/// password travels sealed beside them).
public struct PullParams: Codable, Sendable {
    public var image: String
    public var tag: String
    public var registry: String
    public var username: String?
    public var oneTimeAuth: Bool
}

public struct BuildParams: Codable, Sendable {
    public var tags: [String]
    public var dockerfile: String?
    public var buildArgs: [String: String]
    public var target: String?
    public var noCache: Bool
    public var pull: Bool
    public var remote: String?
    public var contextName: String?
    public var contextSize: Int64?
    /// True when `remote` and `build_args` are shown masked and the real values
    /// (`BuildSecrets`) travel sealed with the task; a retry does not carry them.
    public var sealedInputs: Bool?
}

/// What a build needs but its stored parameters must not show: the Git URL with
/// its user info, and the build arguments `SecretMask` hides.
struct BuildSecrets: Codable, Sendable {
    var remote: String?
    var buildArgs: [String: String]?
}

public struct LoadParams: Codable, Sendable {
    public var filename: String
    /// Nil when the task started before a multipart upload ended.
    public var size: Int64?
}

public struct SaveParams: Codable, Sendable {
    public var images: [String]
    public var gzip: Bool
}

enum ImageTaskExecutors {
    static func all(artifactsDir: String) -> [String: any TaskExecutor] {
        [TaskKind.imagePull: PullExecutor(), TaskKind.imageBuild: BuildExecutor(), TaskKind.imageLoad: LoadExecutor(),
         TaskKind.imageSave: SaveExecutor(artifactsDir: artifactsDir)]
    }

    static func decode<T: Decodable>(_ type: T.Type, _ context: TaskContext) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: Data(context.task.params.utf8))
        } catch {
            throw TaskFailure("the task's parameters are unreadable: \(error)")
        }
    }
}

/// `image.pull`: one-time credentials first, then a saved login for the registry, else anonymous.
struct PullExecutor: TaskExecutor {
    struct Result: Encodable {
        let image: String
        let id: String
        let size: Int64
        let digest: String?
    }

    func run(_ context: TaskContext) async throws -> TaskOutcome {
        let params = try ImageTaskExecutors.decode(PullParams.self, context)
        let serverAddress = params.registry == ImageReference.dockerHub ? "https://index.docker.io/v1/" : params.registry
        var auth: RegistryAuth?
        if let sealed = try context.openSecret() {
            let login = try JSONDecoder().decode([String: String].self, from: Data(sealed.utf8))
            auth = RegistryAuth(username: login["username"] ?? "", password: login["password"] ?? "", serverAddress: serverAddress)
        } else if let saved = try context.savedCredential(registry: params.registry) {
            auth = RegistryAuth(username: saved.username, password: saved.password, serverAddress: serverAddress)
            await context.log("using the saved credential for \(params.registry) (user \(saved.username))")
        }
        let reference = params.tag.hasPrefix("sha256:") ? "\(params.image)@\(params.tag)" : "\(params.image):\(params.tag)"
        var digest: String?
        for try await message in try await context.docker.pullImage(params.image, tag: params.tag, auth: auth) {
            if let failure = message.failure { throw TaskFailure(failure) }
            if message.id != nil && message.progressDetail != nil || ["Pull complete", "Already exists", "Waiting", "Pulling fs layer",
                                                                        "Verifying Checksum", "Download complete"].contains(message.status ?? "") {
                await context.track(message)
            } else if let status = message.status {
                if status.hasPrefix("Digest: ") { digest = String(status.dropFirst(8)) }
                await context.log(message.id.map { "\($0): \(status)" } ?? status)
            }
        }
        await context.flushLayers()
        let image = try await context.docker.image(reference)
        return TaskOutcome(Result(image: reference, id: image.id, size: image.size ?? 0, digest: digest))
    }
}

/// `image.build`: the engine's classic builder, from the uploaded context or a Git URL.
struct BuildExecutor: TaskExecutor {
    struct Result: Encodable {
        let id: String
        let tags: [String]
    }

    /// Errors and output are stored and shown: a URL in them loses its user info.
    func run(_ context: TaskContext) async throws -> TaskOutcome {
        do {
            return try await build(context)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw TaskFailure(SecretMask.maskURLs(in: TaskRunner.describe(error)))
        }
    }

    private func build(_ context: TaskContext) async throws -> TaskOutcome {
        let params = try ImageTaskExecutors.decode(BuildParams.self, context)
        var options = BuildOptions()
        options.tags = params.tags
        options.dockerfile = params.dockerfile
        options.buildArgs = params.buildArgs
        options.target = params.target
        options.noCache = params.noCache
        options.pull = params.pull
        options.remote = params.remote
        if params.sealedInputs == true {
            guard let sealed = try context.openSecret() else {
                throw TaskFailure("the Git credentials or secret build arguments of this build were not kept; start a new build")
            }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let secrets = try decoder.decode(BuildSecrets.self, from: Data(sealed.utf8))
            if let remote = secrets.remote { options.remote = remote }
            for (name, value) in secrets.buildArgs ?? [:] { options.buildArgs[name] = value }
        }
        if params.remote == nil && context.task.uploadPath == nil { throw TaskFailure("the build context upload is missing") }
        var imageID: String?
        var lastStep: String?
        for try await message in try await context.docker.buildImage(options, contextFile: params.remote == nil ? context.task.uploadPath : nil) {
            if let failure = message.failure {
                await context.flushStream()
                throw TaskFailure(lastStep.map { "\($0) failed: \(failure)" } ?? failure)
            }
            if let id = message.aux?.id { imageID = id }
            if let text = message.stream {
                if let step = Self.step(text) {
                    lastStep = step.label
                    await context.emit(.progress(step.current, of: step.total, step.label, unit: "steps"))
                }
                await context.logStream(SecretMask.maskURLs(in: text))
            } else if let status = message.status {
                await context.log(SecretMask.maskURLs(in: status))
            }
        }
        await context.flushStream()
        guard let imageID else { throw TaskFailure("the build ended without producing an image") }
        return TaskOutcome(Result(id: imageID, tags: params.tags))
    }

    /// `Step 3/7 : RUN make` → (3, 7, "Step 3/7 : RUN make").
    static func step(_ text: String) -> (current: Int64, total: Int64, label: String)? {
        guard text.hasPrefix("Step "), let slash = text.firstIndex(of: "/"), let colon = text.firstIndex(of: ":"), slash < colon,
              let current = Int64(text[text.index(text.startIndex, offsetBy: 5)..<slash]),
              let total = Int64(text[text.index(after: slash)..<colon].trimmingCharacters(in: .whitespaces)) else { return nil }
        return (current, total, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// `image.load`: streams the uploaded archive to the engine.
struct LoadExecutor: TaskExecutor {
    struct Result: Encodable {
        let images: [String]
    }

    func run(_ context: TaskContext) async throws -> TaskOutcome {
        guard let archive = context.task.uploadPath else { throw TaskFailure("the uploaded archive is missing") }
        var loaded: [String] = []
        // The task may start while the archive still arrives; the engine reads along.
        for try await message in try await context.docker.loadImages(archive: archive, followingWriter: true) {
            if let failure = message.failure { throw TaskFailure(failure) }
            if message.id != nil, message.progressDetail != nil {
                await context.track(message)
            } else if let text = message.stream {
                for line in text.split(separator: "\n") {
                    let line = line.trimmingCharacters(in: .whitespaces)
                    for prefix in ["Loaded image: ", "Loaded image ID: "] where line.hasPrefix(prefix) {
                        loaded.append(String(line.dropFirst(prefix.count)))
                    }
                    if !line.isEmpty { await context.log(line) }
                }
            }
        }
        await context.flushLayers()
        guard !loaded.isEmpty else { throw TaskFailure("the engine loaded no image from the archive") }
        return TaskOutcome(Result(images: loaded))
    }
}

/// `image.save`: writes `GET /images/get` to the artifacts folder, optionally gzip-compressed.
struct SaveExecutor: TaskExecutor {
    let artifactsDir: String

    struct Result: Encodable {
        let images: [String]
        let filename: String
        let size: Int64
        let gzip: Bool
    }

    func run(_ context: TaskContext) async throws -> TaskOutcome {
        let params = try ImageTaskExecutors.decode(SaveParams.self, context)
        var total: Int64 = 0
        for image in params.images {
            do {
                total += try await context.docker.image(image).size ?? 0
            } catch let error as EngineError where error.code == .notFound {
                throw TaskFailure("no image \(image)")
            }
        }
        try FileManager.default.createDirectory(atPath: artifactsDir, withIntermediateDirectories: true)
        let id = context.task.id
        let partial = "\(artifactsDir)/\(id).partial"
        let final = "\(artifactsDir)/\(id)" + (params.gzip ? ".tar.gz" : ".tar")
        var done = false
        defer { if !done { unlink(partial) } }
        let writer = try ArchiveWriter(path: partial, gzip: params.gzip)
        let stream = try await context.docker.exportImages(params.images)
        var lastReport = Date()
        while let chunk = try await stream.next() {
            try Task.checkCancellation()
            try writer.write(chunk)
            if Date().timeIntervalSince(lastReport) >= 0.5 {
                lastReport = Date()
                await context.emit(.progress(writer.written, of: total > 0 ? total : nil, "bytes read from the engine"))
            }
        }
        try writer.finish()
        await context.emit(.progress(writer.written, of: writer.written, "bytes read from the engine"))
        guard rename(partial, final) == 0 else { throw TaskFailure("cannot store the archive: \(String(cString: strerror(errno)))") }
        done = true
        let size = ((try? FileManager.default.attributesOfItem(atPath: final))?[.size] as? Int64) ?? writer.written
        let base = params.images.count == 1 ? Self.fileSafe(params.images[0]) : "images"
        let filename = base + (params.gzip ? ".tar.gz" : ".tar")
        return TaskOutcome(Result(images: params.images, filename: filename, size: size, gzip: params.gzip),
                           artifact: (final, size))
    }

    /// `registry:5000/app:1.2` → `registry_5000_app_1.2`: a download name without separators.
    static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
    }
}
