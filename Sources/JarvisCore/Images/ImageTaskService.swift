import DockerEngine
import Foundation
import JarvisStore

/// A registry login as a request carries it.
public struct RegistryLogin: Decodable, Sendable {
    public let username: String
    public let password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    func validate(field: String) throws {
        guard !username.isEmpty, !password.isEmpty, username.count <= 256, password.count <= 4096 else {
            throw JarvisError.invalidField(field, "username and password are both required")
        }
    }
}

public struct PullRequest: Decodable, Sendable {
    public let image: String
    public let tag: String?
    public let auth: RegistryLogin?
    /// Keep `auth` as the saved credential of the image's registry (sealed at rest).
    public let saveCredential: Bool?
}

public struct BuildRequest: Decodable, Sendable {
    public var tags: [String]?
    public var dockerfile: String?
    public var buildArgs: [String: String]?
    public var target: String?
    public var noCache: Bool?
    public var pull: Bool?
    /// A Git URL the engine clones (`https://…/repo.git`, `git://…`, `git@host:repo`).
    public var remote: String?
    public var gitRef: String?
    public var gitSubdir: String?
}

public struct SaveRequest: Decodable, Sendable {
    public let images: [String]
    public let gzip: Bool?
}

/// A file the HTTP layer already stored, handed over to a task.
public struct SpooledUpload: Sendable {
    public let path: String
    public let filename: String
    /// Nil while the upload still arrives without a declared length.
    public let size: Int64?
    /// `tar`, `gzip` or `text` (a lone Dockerfile).
    public let format: String

    public init(path: String, filename: String, size: Int64?, format: String) {
        self.path = path
        self.filename = filename
        self.size = size
        self.format = format
    }
}

/// A saved registry credential as the API shows it: never the password.
public struct RegistryCredentialView: Encodable, Sendable {
    public let id: Int64
    public let registry: String
    public let username: String
    public let createdBy: String?
    public let createdAt: String
    public let updatedAt: String
}

/// Validates image operations and queues them as tasks; also keeps registry credentials.
public final class ImageTaskService: Sendable {
    let tasks: TaskService
    let database: AppDatabase
    let docker: DockerClient
    let dataDir: String
    /// The engine these tasks act on.
    let hostID: Int64

    init(tasks: TaskService, database: AppDatabase, docker: DockerClient, dataDir: String, hostID: Int64) {
        self.hostID = hostID
        self.tasks = tasks
        self.database = database
        self.docker = docker
        self.dataDir = dataDir
    }

    private func secrets() throws -> SecretBox { try SecretBox.load(dataDir: dataDir) }

    public func pull(_ request: PullRequest, by principal: Principal) throws -> TaskRecord {
        guard let reference = ImageReference(request.image.trimmingCharacters(in: .whitespaces), tag: request.tag) else {
            throw JarvisError.invalidField("image", "not an image reference: \(request.image.prefix(100))")
        }
        var sealed: String?
        if let auth = request.auth {
            try auth.validate(field: "auth")
            if request.saveCredential == true {
                try saveCredential(registry: reference.registry, login: auth, by: principal)
            } else {
                sealed = try secrets().seal(jsonText(["username": auth.username, "password": auth.password]))
            }
        }
        let params = PullParams(image: reference.repository, tag: reference.tag, registry: reference.registry,
                                username: request.auth?.username, oneTimeAuth: sealed != nil)
        return try tasks.enqueue(kind: TaskKind.imagePull, title: "Pull \(reference.description)", target: "image:\(reference.description)",
                                 params: params, by: principal, sealedSecret: sealed, host: hostID)
    }

    public func build(_ request: BuildRequest, upload: SpooledUpload?, by principal: Principal) throws -> TaskRecord {
        let tags = try (request.tags ?? []).enumerated().map { index, tag -> String in
            guard let reference = ImageReference(tag), !reference.tag.hasPrefix("sha256:") else {
                throw JarvisError.invalidField("tags[\(index)]", "not a valid image name: \(tag.prefix(100))")
            }
            return reference.description
        }
        guard !tags.isEmpty else { throw JarvisError.invalidField("tags", "name the image: at least one tag such as myapp:1.0") }
        if let dockerfile = request.dockerfile, !Self.isRelativePath(dockerfile) {
            throw JarvisError.invalidField("dockerfile", "a path inside the context, without ..")
        }
        for key in (request.buildArgs ?? [:]).keys where !Self.isIdentifier(key) {
            throw JarvisError.invalidField("build_args", "\(key.prefix(64)) is not a valid argument name")
        }
        if let target = request.target, !Self.isIdentifier(target, extra: ".-") {
            throw JarvisError.invalidField("target", "not a stage name: \(target.prefix(64))")
        }
        var remote: String?
        if let url = request.remote?.trimmingCharacters(in: .whitespaces), !url.isEmpty {
            guard upload == nil else { throw JarvisError.badRequest("send either a context file or a Git URL, not both") }
            remote = try Self.gitRemote(url, ref: request.gitRef, subdir: request.gitSubdir)
        } else if upload == nil {
            throw JarvisError.invalidField("remote", "upload a build context (.tar, .tar.gz or a Dockerfile) or give a Git URL")
        }
        var contextPath = upload?.path
        if let upload, upload.format == "text" {
            // A lone Dockerfile becomes a one-file context.
            contextPath = try TarFile.wrapSingleFile(upload.path, as: request.dockerfile ?? "Dockerfile")
        }
        // Stored parameters are shown to every viewer of the task and copied into the audit
        // trail: Git credentials and secret build arguments travel sealed beside them.
        let buildArgs = request.buildArgs ?? [:]
        let shownArgs = SecretMask.maskDictionary(buildArgs)
        let hiddenArgs = buildArgs.filter { shownArgs[$0.key] != $0.value }
        let shownRemote = remote.map(SecretMask.stripUserInfo)
        var sealed: String?
        if shownRemote != remote || !hiddenArgs.isEmpty {
            let inputs = BuildSecrets(remote: shownRemote != remote ? remote : nil, buildArgs: hiddenArgs.isEmpty ? nil : hiddenArgs)
            sealed = try secrets().seal(jsonText(inputs))
        }
        let params = BuildParams(tags: tags, dockerfile: request.dockerfile, buildArgs: shownArgs, target: request.target,
                                 noCache: request.noCache ?? false, pull: request.pull ?? false, remote: shownRemote,
                                 contextName: upload?.filename, contextSize: upload?.size, sealedInputs: sealed != nil ? true : nil)
        return try tasks.enqueue(kind: TaskKind.imageBuild, title: "Build \(tags[0])", target: "image:\(tags[0])", params: params,
                                 by: principal, sealedSecret: sealed, upload: contextPath, host: hostID)
    }

    public func load(_ upload: SpooledUpload, by principal: Principal) throws -> TaskRecord {
        try tasks.enqueue(kind: TaskKind.imageLoad, title: "Load \(upload.filename)", target: nil,
                          params: LoadParams(filename: upload.filename, size: upload.size), by: principal, upload: upload.path, host: hostID)
    }

    /// Checks every image exists before queueing, so a typo is a 404 now rather than a failed task later.
    public func save(_ request: SaveRequest, by principal: Principal) async throws -> TaskRecord {
        guard !request.images.isEmpty, request.images.count <= 100 else {
            throw JarvisError.invalidField("images", "name 1 to 100 images")
        }
        for (index, image) in request.images.enumerated() {
            do {
                _ = try await docker.image(image)
            } catch let error as EngineError where error.code == .notFound || error.code == .invalidArgument {
                throw JarvisError(404, "not_found", "images[\(index)]: no image \(image.prefix(100))").field("images[\(index)]")
            } catch let error as EngineError {
                throw JarvisError.from(error)
            }
        }
        let title = request.images.count == 1 ? "Save \(request.images[0])" : "Save \(request.images.count) images"
        return try tasks.enqueue(kind: TaskKind.imageSave, title: title, target: nil,
                                 params: SaveParams(images: request.images, gzip: request.gzip ?? false), by: principal, host: hostID)
    }

    // MARK: registry credentials

    public func credentials() throws -> [RegistryCredentialView] {
        try database.registryCredentials().map(Self.view)
    }

    @discardableResult
    public func saveCredential(registry: String, login: RegistryLogin, by principal: Principal) throws -> RegistryCredentialView {
        let registry = registry.lowercased()
        guard Self.isRegistryHost(registry) else { throw JarvisError.invalidField("registry", "a registry host such as registry.example.com:5000") }
        try login.validate(field: "username")
        try database.saveRegistryCredential(registry: registry, username: login.username,
                                            sealedPassword: try secrets().seal(login.password), createdBy: principal.userID)
        guard let saved = try database.registryCredential(registry: registry) else { throw JarvisError(500, "internal", "credential not stored") }
        return Self.view(saved)
    }

    public func deleteCredential(id: Int64) throws -> RegistryCredentialView {
        guard let removed = try database.deleteRegistryCredential(id: id) else { throw JarvisError.notFound("no registry credential \(id)") }
        return Self.view(removed)
    }

    private static func view(_ record: RegistryCredentialRecord) -> RegistryCredentialView {
        RegistryCredentialView(id: record.id, registry: record.registry, username: record.username, createdBy: record.createdByName,
                               createdAt: record.createdAt, updatedAt: record.updatedAt)
    }

    // MARK: validation

    static func isRegistryHost(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253 && text.allSatisfy { $0.isLetter || $0.isNumber || ".-:".contains($0) }
            && !text.hasPrefix(".") && !text.hasPrefix("-")
    }

    static func isRelativePath(_ path: String) -> Bool {
        !path.isEmpty && path.count <= 255 && !path.hasPrefix("/") && !path.split(separator: "/").contains("..")
            && !path.contains("\0")
    }

    static func isIdentifier(_ text: String, extra: String = "") -> Bool {
        !text.isEmpty && text.count <= 128 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || extra.contains($0)) }
    }

    /// The engine's `remote` for a Git build: `url#ref:subdir`.
    static func gitRemote(_ url: String, ref: String?, subdir: String?) throws -> String {
        let lower = url.lowercased()
        guard ["https://", "http://", "git://", "git@"].contains(where: lower.hasPrefix), url.count <= 1024,
              !url.contains(" "), !url.contains("#") else {
            throw JarvisError.invalidField("remote", "a Git URL starting with https://, http://, git:// or git@ (ref and folder go in their own fields)")
        }
        var fragment = ""
        if let ref, !ref.isEmpty {
            guard ref.count <= 255, ref.allSatisfy({ !$0.isWhitespace && $0 != ":" && $0 != "#" }), !ref.contains("..") else {
                throw JarvisError.invalidField("git_ref", "not a branch, tag or commit: \(ref.prefix(64))")
            }
            fragment = ref
        }
        if let subdir, !subdir.isEmpty {
            guard isRelativePath(subdir), !subdir.contains(":"), !subdir.contains("#") else {
                throw JarvisError.invalidField("git_subdir", "a folder inside the repository, without ..")
            }
            fragment += ":" + subdir
        }
        // The engine treats http(s) URLs as Git only when they end in .git (or carry a fragment).
        let gitURL = lower.hasPrefix("http") && !lower.hasSuffix(".git") ? url + ".git" : url
        return fragment.isEmpty ? gitURL : gitURL + "#" + fragment
    }
}
