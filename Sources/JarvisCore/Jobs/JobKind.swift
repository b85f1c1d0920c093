import Foundation

/// The maintenance kinds a job can run, each over an existing service.
/// (No image update check: nothing in Jarvis computes one yet; it joins when the updates issue lands.)
public enum JobKind: String, CaseIterable, Sendable {
    case imagePull = "image.pull"
    case containerRestart = "container.restart"
    case stackRestart = "stack.restart"
    case stackUp = "stack.up"
    case stackPull = "stack.pull"
    case imagePrune = "image.prune"
    case storeBackup = "store.backup"

    /// Who may create, change or run the job. Prune runs without a per-run confirmation and backup copies the
    /// whole store (password hashes included), so both need an admin.
    public var requiredRole: Role {
        switch self {
        case .imagePrune, .storeBackup: return .admin
        default: return .operator_
        }
    }

    /// The parameters this kind needs, checked with the field named.
    func validate(_ params: JobParams) throws {
        func refuse(_ key: String, _ present: Bool) throws {
            if present { throw JarvisError.invalidField("params.\(key)", "is not used by a \(rawValue) job") }
        }
        switch self {
        case .imagePull:
            guard let image = params.image, ImageReference(image.trimmingCharacters(in: .whitespaces), tag: params.tag) != nil else {
                throw JarvisError.invalidField("params.image", "a \(rawValue) job needs an image reference such as nginx:1.27")
            }
            try refuse("container", params.container != nil); try refuse("stack", params.stack != nil)
        case .containerRestart:
            guard let container = params.container, (1...128).contains(container.count),
                  container.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }) else {
                throw JarvisError.invalidField("params.container", "a container.restart job needs a container name or id")
            }
            try refuse("image", params.image != nil); try refuse("tag", params.tag != nil); try refuse("stack", params.stack != nil)
        case .stackRestart, .stackUp, .stackPull:
            guard let stack = params.stack, (1...64).contains(stack.count),
                  stack.allSatisfy({ ($0.isLetter && $0.isLowercase) || $0.isNumber || "_-".contains($0) }), stack.first?.isLetter == true || stack.first?.isNumber == true else {
                throw JarvisError.invalidField("params.stack", "a \(rawValue) job needs a stack name (lower-case letters, digits, - and _)")
            }
            try refuse("image", params.image != nil); try refuse("tag", params.tag != nil); try refuse("container", params.container != nil)
        case .imagePrune, .storeBackup:
            try refuse("image", params.image != nil); try refuse("tag", params.tag != nil)
            try refuse("container", params.container != nil); try refuse("stack", params.stack != nil)
        }
    }
}

/// What a job acts on; which keys apply depends on the kind.
public struct JobParams: Codable, Sendable, Equatable {
    public var image: String?
    public var tag: String?
    public var container: String?
    public var stack: String?

    public init(image: String? = nil, tag: String? = nil, container: String? = nil, stack: String? = nil) {
        self.image = image; self.tag = tag; self.container = container; self.stack = stack
    }
}
