import Compose
import DockerEngine
import Foundation

/// `POST /api/v1/containers`: what the create form sends. Lists follow the
/// docker CLI's flags (`-p`, `-v`, `-e`) so operators can paste what they know.
public struct ContainerCreateRequest: Decodable, Sendable {
    public var image: String
    public var name: String?
    public var command: CommandLine?
    public var entrypoint: CommandLine?
    /// `KEY=value` entries.
    public var env: [String]?
    /// `[ip:][host_port:]container_port[/tcp|udp|sctp]`; either port may be a range (`8000-8010:80-90`).
    public var ports: [String]?
    /// `source:target[:ro|rw]` (a `/`-path source is a bind mount, otherwise a named volume) or `target` alone.
    public var volumes: [String]?
    public var network: String?
    /// `no`, `always`, `unless-stopped`, `on-failure[:max_retries]`.
    public var restartPolicy: String?
    public var labels: [String: String]?
    /// `512m`, `1g`, `1.5GiB`, or bytes.
    public var memory: String?
    public var cpus: Double?
    public var user: String?
    public var workingDir: String?
    public var hostname: String?
    public var tty: Bool?
    /// Start after creating (default true).
    public var start: Bool?

    /// A command as a list, or as one string split like a shell would (quotes respected).
    public struct CommandLine: Decodable, Sendable {
        public let words: [String]

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let list = try? container.decode([String].self) {
                words = list
            } else {
                words = try ShellWords.split(try container.decode(String.self))
            }
        }
    }
}

/// A validated create request: the engine body plus what the checks against the engine need.
public struct ContainerSpec: @unchecked Sendable {
    /// One container port and where it is published; a range entry becomes one of these per port.
    public struct PublishedPort: Sendable, Equatable {
        public let field: String
        public let hostIP: String
        /// A fixed host port; nil when the engine picks one (none given, or a range to pick from).
        public let hostPort: Int?
        public let containerPort: Int
        public let proto: String
        /// `8000-8010:80`: the engine picks a free host port in this range for the one container port.
        public var hostRange: ClosedRange<Int>? = nil

        /// The engine's `HostPort`: a number, a range to pick from, or empty for any.
        var binding: String {
            if let hostPort { return String(hostPort) }
            return hostRange.map { "\($0.lowerBound)-\($0.upperBound)" } ?? ""
        }
    }

    /// The most ports one request may publish: each costs the engine a binding (and often a proxy
    /// process), and the clash check compares every pair.
    public static let maxPorts = 1000

    public let name: String?
    public let image: String
    public let network: String?
    public let ports: [PublishedPort]
    public let hasBindMounts: Bool
    public let nanoCpus: Int64?
    public let start: Bool
    /// The `POST /containers/create` body.
    public let engineBody: [String: Any]

    /// Checks every field without asking the engine. The first problem is thrown, naming its field,
    /// with every problem found in `issues` (one per field), so a form can mark them all at once.
    public static func validate(_ request: ContainerCreateRequest) throws -> ContainerSpec {
        var problems = FieldProblems()
        let spec = validate(request, into: &problems)
        try problems.throwIfAny()
        return spec!
    }

    private static func validate(_ request: ContainerCreateRequest, into problems: inout FieldProblems) -> ContainerSpec? {
        func check(_ section: () throws -> Void) { problems.check(section) }
        let image = request.image.trimmingCharacters(in: .whitespaces)
        check {
            guard !image.isEmpty else { throw JarvisError.invalidField("image", "is required") }
            guard isValidImageReference(image) else { throw JarvisError.invalidField("image", "\"\(image.prefix(80))\" is not an image reference") }
        }
        check {
            if let name = request.name, !name.isEmpty, !isValidName(name) {
                throw JarvisError.invalidField("name", "must start with a letter or digit and contain only letters, digits, _ . - (got \"\(name.prefix(80))\")")
            }
        }
        var config: [String: Any] = ["Image": image, "Tty": request.tty ?? false, "OpenStdin": request.tty ?? false]
        var host: [String: Any] = [:]
        check {
            if let command = request.command {
                guard !command.words.isEmpty else { throw JarvisError.invalidField("command", "is empty") }
                config["Cmd"] = command.words
            }
        }
        if let entrypoint = request.entrypoint { config["Entrypoint"] = entrypoint.words }

        var env: [String] = []
        for (index, entry) in (request.env ?? []).enumerated() {
            check {
                guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex,
                      !entry[..<equals].contains(where: { $0.isWhitespace }) else {
                    throw JarvisError.invalidField("env[\(index)]", "must be KEY=value (got \"\(entry.prefix(80))\")")
                }
                env.append(entry)
            }
        }
        if !env.isEmpty { config["Env"] = env }

        let labels = request.labels ?? [:]
        check {
            if let bad = labels.keys.first(where: { $0.isEmpty || $0.contains(where: { $0.isWhitespace }) }) {
                throw JarvisError.invalidField("labels", "label key \"\(bad)\" is empty or contains spaces")
            }
        }
        if !labels.isEmpty { config["Labels"] = labels }

        var ports: [PublishedPort] = []
        var exposed: [String: [String: String]] = [:]
        var bindings: [String: [[String: String]]] = [:]
        for (index, text) in (request.ports ?? []).enumerated() {
            check {
                let entry = try parsePort(text, field: "ports[\(index)]")
                guard ports.count + entry.count <= maxPorts else {
                    throw JarvisError.invalidField("ports[\(index)]", "at most \(maxPorts) published ports in all")
                }
                for port in entry {
                    if let clash = ports.first(where: { $0.hostPort != nil && $0.hostPort == port.hostPort && $0.proto == port.proto
                                                       && ipsOverlap($0.hostIP, port.hostIP) }) {
                        throw JarvisError.invalidField(port.field, "host port \(port.hostPort!)/\(port.proto) is also given in \(clash.field)")
                    }
                }
                for port in entry {
                    ports.append(port)
                    let key = "\(port.containerPort)/\(port.proto)"
                    exposed[key] = [:]
                    bindings[key, default: []].append(["HostIp": port.hostIP, "HostPort": port.binding])
                }
            }
        }
        if !exposed.isEmpty {
            config["ExposedPorts"] = exposed
            host["PortBindings"] = bindings
        }

        var binds: [String] = []
        var anonymous: [String: [String: String]] = [:]
        var hasBindMounts = false
        for (index, text) in (request.volumes ?? []).enumerated() {
            check {
            let field = "volumes[\(index)]"
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
                throw JarvisError.invalidField(field, "must be source:target[:ro|rw] or a target path (got \"\(text.prefix(80))\")")
            }
            if parts.count == 1 {
                guard isAbsoluteCleanPath(parts[0]), parts[0] != "/" else { throw JarvisError.invalidField(field, "target must be an absolute path other than /") }
                anonymous[parts[0]] = [:]
                return
            }
            let (source, target) = (parts[0], parts[1])
            if source.hasPrefix("/") {
                guard isAbsoluteCleanPath(source) else { throw JarvisError.invalidField(field, "bind source \(source) must be an absolute path without .. parts") }
            } else if !isValidName(source) || source.count < 2 {
                throw JarvisError.invalidField(field, "volume name \"\(source)\" must be 2+ letters, digits, _ . - (or an absolute host path)")
            }
            guard isAbsoluteCleanPath(target), target != "/" else { throw JarvisError.invalidField(field, "target \(target) must be an absolute path other than /") }
            if parts.count == 3, !["ro", "rw"].contains(parts[2]) { throw JarvisError.invalidField(field, "mode must be ro or rw (got \(parts[2]))") }
            if source.hasPrefix("/") { hasBindMounts = true }
            binds.append(text)
            }
        }
        if !binds.isEmpty { host["Binds"] = binds }
        if !anonymous.isEmpty { config["Volumes"] = anonymous }

        check { if let policy = request.restartPolicy, !policy.isEmpty { host["RestartPolicy"] = try parseRestartPolicy(policy) } }
        check {
            if let memory = request.memory, !memory.isEmpty {
                guard let bytes = parseMemory(memory) else {
                    throw JarvisError.invalidField("memory", "\"\(memory.prefix(40))\" is not a size; use a number with b, k, m or g (512m, 1g)")
                }
                guard bytes >= 6 << 20 else { throw JarvisError.invalidField("memory", "must be at least 6m (the engine's minimum)") }
                host["Memory"] = bytes
            }
        }
        var nanoCpus: Int64?
        check {
            if let cpus = request.cpus {
                guard cpus > 0, cpus <= 1024, cpus.isFinite else { throw JarvisError.invalidField("cpus", "must be a positive number of CPUs such as 0.5") }
                nanoCpus = Int64((cpus * 1_000_000_000).rounded())
                host["NanoCpus"] = nanoCpus
            }
        }
        check {
            if let user = request.user, !user.isEmpty {
                guard user.range(of: #"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$"#, options: .regularExpression) != nil else {
                    throw JarvisError.invalidField("user", "must be user, uid, user:group or uid:gid")
                }
                config["User"] = user
            }
        }
        check {
            if let dir = request.workingDir, !dir.isEmpty {
                guard isAbsoluteCleanPath(dir) else { throw JarvisError.invalidField("working_dir", "must be an absolute path") }
                config["WorkingDir"] = dir
            }
        }
        check {
            if let hostname = request.hostname, !hostname.isEmpty {
                guard hostname.count <= 253, hostname.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({
                    $0.count <= 63 && $0.range(of: #"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$"#, options: .regularExpression) != nil
                }) else { throw JarvisError.invalidField("hostname", "\"\(hostname.prefix(80))\" is not a valid host name") }
                config["Hostname"] = hostname
            }
        }
        var network: String?
        check {
            if let name = request.network, !name.isEmpty {
                guard isValidName(name) else { throw JarvisError.invalidField("network", "\"\(name.prefix(80))\" is not a network name") }
                network = name
                host["NetworkMode"] = name
            }
        }
        guard problems.isEmpty else { return nil }
        if !host.isEmpty { config["HostConfig"] = host }
        return ContainerSpec(name: request.name.flatMap { $0.isEmpty ? nil : $0 }, image: image, network: network, ports: ports,
                             hasBindMounts: hasBindMounts, nanoCpus: nanoCpus, start: request.start ?? true, engineBody: config)
    }

    /// One `-p` entry as `docker run` reads it (go-connections' `nat.ParsePortSpec`):
    /// `[ip:][host_port[-end]:]container_port[-end][/tcp|udp|sctp]`. Ranges publish one port each and
    /// must be of equal length, except a host range for a single container port, from which the engine
    /// picks a free one.
    static func parsePort(_ text: String, field: String) throws -> [PublishedPort] {
        let invalid = { (why: String) in JarvisError.invalidField(field, "invalid port \"\(text.prefix(80))\": \(why)") }
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var proto = "tcp"
        if let slash = rest.lastIndex(of: "/") {
            proto = rest[rest.index(after: slash)...].lowercased()
            rest = rest[..<slash]
            guard ["tcp", "udp", "sctp"].contains(proto) else { throw invalid("protocol must be tcp, udp or sctp") }
        }
        var hostIP = ""
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else { throw invalid("unclosed [ipv6]") }
            hostIP = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(close, offsetBy: 2)...]
            guard isIP(hostIP, family: AF_INET6) else { throw invalid("\(hostIP) is not an IPv6 address") }
        }
        var parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 3 {
            guard hostIP.isEmpty else { throw invalid("too many parts") }
            hostIP = parts.removeFirst()
            guard hostIP.isEmpty || isIP(hostIP, family: AF_INET) else { throw invalid("\(hostIP) is not an IPv4 address") }
        }
        guard (1...2).contains(parts.count) else { throw invalid("use [ip:][host_port:]container_port[/protocol]") }
        func range(_ text: String, _ what: String) throws -> ClosedRange<Int> {
            let ends = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let numbers = try ends.map { end -> Int in
                guard let value = Int(end), (1...65535).contains(value) else {
                    throw invalid("\(what) must be 1-65535" + (ends.count == 2 ? " or a range such as 8000-8010" : ""))
                }
                return value
            }
            guard numbers.first! <= numbers.last! else { throw invalid("\(what) range \(text) ends before it starts") }
            return numbers.first!...numbers.last!
        }
        let containerPorts = try range(parts.last!, "container port")
        let hostPorts = parts.count == 2 && !parts[0].isEmpty ? try range(parts[0], "host port") : nil
        if let hostPorts, hostPorts.count != containerPorts.count, containerPorts.count != 1 {
            let ports = { (count: Int) in count == 1 ? "1 port" : "\(count) ports" }
            throw invalid("host ports \(parts[0]) (\(ports(hostPorts.count))) and container ports \(parts.last!) (\(ports(containerPorts.count))) "
                + "differ in length; give ranges of equal length, or a single container port")
        }
        guard containerPorts.count <= maxPorts else { throw invalid("at most \(maxPorts) ports") }
        if let hostPorts, containerPorts.count == 1, hostPorts.count > 1 {
            return [PublishedPort(field: field, hostIP: hostIP, hostPort: nil, containerPort: containerPorts.lowerBound, proto: proto,
                                  hostRange: hostPorts)]
        }
        return containerPorts.enumerated().map { offset, containerPort in
            PublishedPort(field: field, hostIP: hostIP, hostPort: hostPorts.map { $0.lowerBound + offset }, containerPort: containerPort, proto: proto)
        }
    }

    static func parseRestartPolicy(_ text: String) throws -> [String: Any] {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts[0] {
        case "no", "always", "unless-stopped":
            guard parts.count == 1 else { throw JarvisError.invalidField("restart_policy", "only on-failure takes a retry count") }
            return ["Name": parts[0]]
        case "on-failure":
            let retries = parts.count == 2 ? Int(parts[1]) : 0
            guard let retries, retries >= 0 else { throw JarvisError.invalidField("restart_policy", "retry count must be a whole number") }
            return ["Name": "on-failure", "MaximumRetryCount": retries]
        default:
            throw JarvisError.invalidField("restart_policy", "must be no, always, unless-stopped or on-failure[:N] (got \"\(text.prefix(40))\")")
        }
    }

    /// `512m`, `1g`, `1.5GiB`, `1024k`, `2048` (bytes); nil when not a size.
    public static func parseMemory(_ text: String) -> Int64? {
        let lowered = text.lowercased().replacingOccurrences(of: " ", with: "")
        guard let match = lowered.range(of: #"^[0-9]+(\.[0-9]+)?"#, options: .regularExpression), let value = Double(lowered[match]) else { return nil }
        let unit = lowered[match.upperBound...]
        let powers: [String: Int] = ["": 0, "b": 0, "k": 1, "kb": 1, "kib": 1, "m": 2, "mb": 2, "mib": 2,
                                     "g": 3, "gb": 3, "gib": 3, "t": 4, "tb": 4, "tib": 4]
        guard let power = powers[String(unit)] else { return nil }
        let bytes = value * pow(1024, Double(power))
        return bytes < 9e18 ? Int64(bytes) : nil
    }

    /// Docker's name rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
    public static func isValidName(_ name: String) -> Bool {
        name.count <= 128 && name.range(of: #"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"#, options: .regularExpression) != nil
    }

    static func isValidImageReference(_ reference: String) -> Bool {
        reference.count <= 512 && !reference.contains("..") && !reference.contains("//")
            && reference.range(of: #"^[a-zA-Z0-9][a-zA-Z0-9_./:@-]*$"#, options: .regularExpression) != nil
    }

    static func isAbsoluteCleanPath(_ path: String) -> Bool {
        path.hasPrefix("/") && !path.split(separator: "/").contains("..") && !path.contains("\0")
    }

    static func isIP(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1
    }

    /// Two host IPs clash when equal or when either listens on every address.
    static func ipsOverlap(_ a: String, _ b: String) -> Bool {
        let any: Set<String> = ["", "0.0.0.0", "::"]
        return a == b || any.contains(a) || any.contains(b)
    }
}

/// Every field problem of one request: the first is thrown with all of them as `issues`
/// (`path` is the field, `message` the problem without the field's name in front).
public struct FieldProblems: Sendable {
    public private(set) var errors: [JarvisError] = []

    public init() {}

    public var isEmpty: Bool { errors.isEmpty }

    /// Runs one field's checks; a `JarvisError` it throws is kept and the next field is checked.
    public mutating func check(_ section: () throws -> Void) {
        do { try section() } catch let error as JarvisError { errors.append(error) } catch { errors.append(.badRequest("\(error)")) }
    }

    public mutating func add(_ error: JarvisError) { errors.append(error) }

    public func throwIfAny() throws {
        guard var first = errors.first else { return }
        first.issues = errors.map { error in
            let field = error.field ?? ""
            let prefix = field + ": "
            let message = !field.isEmpty && error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
            return ComposeIssue(.error, file: "", path: field, message)
        }
        throw first
    }
}

/// The container form's command line, split as the Compose loader splits `command:`.
public enum ShellWords {
    public static func split(_ text: String) throws -> [String] {
        guard let words = ShellSplit.words(text) else {
            throw JarvisError.invalidField("command", "unterminated quote or trailing backslash")
        }
        return words
    }
}
