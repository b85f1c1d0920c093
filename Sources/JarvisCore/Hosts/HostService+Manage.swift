import DockerEngine
import Foundation
import JarvisStore

/// How to reach an engine, as an admin types it (probe and add share it).
public struct HostConnectRequest: Decodable, Sendable {
    public struct TLS: Decodable, Sendable {
        public var ca: String
        public var cert: String
        public var key: String
        public var serverName: String?
    }
    public struct SSH: Decodable, Sendable {
        public var privateKey: String
        public var socket: String?
    }
    public var endpoint: String
    public var tls: TLS?
    public var ssh: SSH?
}

/// A new host: how to reach it, what to call it, and the fingerprint the admin saw in the probe.
public struct HostCreateRequest: Decodable, Sendable {
    public var name: String
    public var displayName: String?
    public var endpoint: String
    public var tls: HostConnectRequest.TLS?
    public var ssh: HostConnectRequest.SSH?
    public var labels: [String: String]?
    public var group: String?
    public var readOnly: Bool?
    public var terminalEnabled: Bool?
    public var fingerprint: String?

    var connection: HostConnectRequest { HostConnectRequest(endpoint: endpoint, tls: tls, ssh: ssh) }
}

/// Changes to a host; a new endpoint or new credentials need a fresh fingerprint.
public struct HostPatch: Decodable, Sendable {
    public var displayName: String?
    public var endpoint: String?
    public var tls: HostConnectRequest.TLS?
    public var ssh: HostConnectRequest.SSH?
    public var labels: [String: String]?
    public var group: String?
    public var readOnly: Bool?
    public var terminalEnabled: Bool?
    public var fingerprint: String?
    public var `default`: Bool?
}

extension HostService {
    /// Host names are URL slugs.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, name.count <= 63, first.isASCII, first.isLowercase || first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") } && !name.hasSuffix("-")
    }

    /// Connects with the given settings and reports what the engine says and the fingerprint to confirm; saves nothing.
    public func probe(_ request: HostConnectRequest) async throws -> HostProbe {
        let (host, _, _) = try connection(request)
        return try await HostProbe.run(host)
    }

    public func add(_ request: HostCreateRequest, by principal: Principal) async throws -> HostView {
        guard Self.isValidName(request.name) else {
            throw JarvisError.invalidField("name", "a host name is 1 to 63 lowercase letters, digits or -, starting with a letter or digit")
        }
        if try database.host(name: request.name) != nil {
            throw JarvisError(409, "host_exists", "a host named \(request.name) exists already (archived hosts keep their name)").field("name")
        }
        if StacksFolder(root: config.stacksDir).scan().contains(request.name) {
            throw JarvisError(409, "host_name_taken", "the local stack \(request.name) uses the folder this host's stacks would live in; choose another name")
                .field("name")
        }
        let labels = try Self.validLabels(request.labels ?? [:])
        let group = try Self.validGroup(request.group ?? "")
        let displayName = try Self.validDisplayName(request.displayName ?? request.name)
        let (host, transport, credentials) = try connection(request.connection)
        let probe = try await HostProbe.run(host)
        try Self.confirm(probe, presented: request.fingerprint)
        let stored = Self.pinned(credentials, probe)
        var record = HostRecord(name: request.name, displayName: displayName, endpoint: request.endpoint.trimmingCharacters(in: .whitespaces),
                                transport: transport, sealedCredentials: try stored.map { try $0.seal(box: registry.secrets()) },
                                credentialFacts: jsonText(probe.facts(credentials: stored)), labels: jsonText(labels), group: group,
                                readOnly: request.readOnly ?? false, terminalEnabled: request.terminalEnabled ?? true, createdBy: principal.userID)
        record.engine = jsonText(probe.engine)
        let saved = try database.insertHost(record)
        try database.recordHostCheck(id: saved.id, HostCheckResult(online: true, latencyMs: probe.latencyMs, error: nil, engine: jsonText(probe.engine)))
        return try view(try database.host(id: saved.id) ?? saved)
    }

    public func update(_ record: HostRecord, _ patch: HostPatch) async throws -> HostView {
        var changed = record
        if let name = patch.displayName { changed.displayName = try Self.validDisplayName(name) }
        if let labels = patch.labels { changed.labels = jsonText(try Self.validLabels(labels)) }
        if let group = patch.group { changed.group = try Self.validGroup(group) }
        if let readOnly = patch.readOnly { changed.readOnly = readOnly }
        if let terminal = patch.terminalEnabled { changed.terminalEnabled = terminal }
        if patch.endpoint != nil || patch.tls != nil || patch.ssh != nil {
            guard record.id != HostRecord.localID else {
                throw JarvisError.invalidField("endpoint", "the local host's engine is docker_host in the config file")
            }
            let request = HostConnectRequest(endpoint: patch.endpoint ?? record.endpoint, tls: patch.tls, ssh: patch.ssh)
            let (host, transport, credentials) = try connection(request)
            let probe = try await HostProbe.run(host)
            try Self.confirm(probe, presented: patch.fingerprint)
            let stored = Self.pinned(credentials, probe)
            changed.endpoint = request.endpoint.trimmingCharacters(in: .whitespaces)
            changed.transport = transport
            changed.sealedCredentials = try stored.map { try $0.seal(box: registry.secrets()) }
            changed.credentialFacts = jsonText(probe.facts(credentials: stored))
        }
        try database.updateHostSettings(changed)
        registry.forget(record)
        if patch.default == true { try database.makeDefaultHost(id: record.id) }
        return try view(try database.host(id: record.id) ?? changed)
    }

    /// Archived hosts keep their history and disappear from lists and checks.
    public func archive(_ record: HostRecord, _ archived: Bool) throws -> HostView {
        guard !(archived && record.isDefault) else {
            throw JarvisError(409, "host_is_default", "host \(record.name) is the default host; make another host the default first")
        }
        var changed = record
        changed.archivedAt = archived ? (record.archivedAt ?? Timestamp.string()) : nil
        try database.updateHostSettings(changed)
        if archived { try database.markContainerMirrorStale(hostID: record.id) }
        return try view(try database.host(id: record.id) ?? changed)
    }

    public func delete(_ record: HostRecord) throws {
        guard record.id != HostRecord.localID else {
            throw JarvisError(409, "host_is_local", "the local host cannot be deleted; archive it instead")
        }
        guard !record.isDefault else {
            throw JarvisError(409, "host_is_default", "host \(record.name) is the default host; make another host the default first")
        }
        let busy = try database.activeTasks(hostID: record.id)
        guard busy.isEmpty else {
            throw JarvisError(409, "host_busy", "host \(record.name) has \(busy.count) unfinished task(s): "
                              + busy.prefix(5).map { "\($0.title) (\($0.id), \($0.state))" }.joined(separator: "; "))
        }
        try database.deleteHost(id: record.id)
        registry.forget(record)
    }

    /// The client settings a request describes, validated, with the credentials to seal.
    func connection(_ request: HostConnectRequest) throws -> (DockerHost, String, HostCredentials?) {
        let endpoint = request.endpoint.trimmingCharacters(in: .whitespaces)
        var credentials: HostCredentials?
        if let tls = request.tls {
            guard endpoint.hasPrefix("tcp://") else { throw JarvisError.invalidField("tls", "TLS settings go with a tcp://host:port endpoint") }
            credentials = HostCredentials(ca: tls.ca, cert: tls.cert, key: tls.key,
                                          serverName: tls.serverName.flatMap { $0.isEmpty ? nil : $0 })
        }
        if let ssh = request.ssh {
            guard endpoint.hasPrefix("ssh://") else { throw JarvisError.invalidField("ssh", "SSH settings go with an ssh://user@host endpoint") }
            credentials = HostCredentials(sshKey: ssh.privateKey, sshSocket: ssh.socket.flatMap { $0.isEmpty ? nil : $0 })
        }
        if endpoint.hasPrefix("ssh://"), credentials?.sshKey == nil {
            throw JarvisError.invalidField("ssh.private_key", "an ssh:// host needs the private key Jarvis logs in with")
        }
        let transport = HostEndpoint.transport(of: endpoint, credentials: credentials)
        if transport == "tcp", !config.allowPlainTCP {
            throw JarvisError(422, "plain_tcp_disabled", "tcp:// without TLS sends every request unencrypted and unauthenticated; "
                              + "give the TLS CA and client certificate, or set allow_plain_tcp = true in the config").field("endpoint")
        }
        do {
            return (try HostEndpoint.dockerHost(endpoint: endpoint, transport: transport, credentials: credentials), transport, credentials)
        } catch let error as EngineError {
            throw JarvisError(422, "invalid_endpoint", error.message).field("endpoint")
        }
    }

    /// Nothing is trusted on first use silently: the fingerprint the admin confirmed must be the one presented now.
    static func confirm(_ probe: HostProbe, presented: String?) throws {
        guard let expected = probe.fingerprint else { return }  // a local socket has nothing to confirm
        guard let presented, !presented.isEmpty else {
            throw JarvisError(422, "fingerprint_required", "confirm the engine's fingerprint \(expected): probe the host first").field("fingerprint")
        }
        guard presented.lowercased() == expected.lowercased() else {
            throw JarvisError(409, "fingerprint_mismatch", "the engine now presents \(expected), not the confirmed \(presented); probe again")
                .field("fingerprint")
        }
    }

    /// The credentials to keep: an SSH host's with the host key the probe saw pinned.
    static func pinned(_ credentials: HostCredentials?, _ probe: HostProbe) -> HostCredentials? {
        guard var kept = credentials else { return nil }
        if let line = probe.knownHostsLine { kept.sshKnownHost = line }
        return kept
    }

    static func validLabels(_ labels: [String: String]) throws -> [String: String] {
        guard labels.count <= 32 else { throw JarvisError.invalidField("labels", "at most 32 labels") }
        for (key, value) in labels {
            guard !key.isEmpty, key.count <= 63, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) }) else {
                throw JarvisError.invalidField("labels", "label key \(key.prefix(64)) must be 1 to 63 letters, digits, . _ - or /")
            }
            guard value.count <= 255, !value.contains(where: \.isNewline) else {
                throw JarvisError.invalidField("labels", "the value of label \(key) must be one line of at most 255 characters")
            }
        }
        return labels
    }

    static func validGroup(_ group: String) throws -> String {
        let trimmed = group.trimmingCharacters(in: .whitespaces)
        guard trimmed.count <= 64, !trimmed.contains(where: \.isNewline) else {
            throw JarvisError.invalidField("group", "a group is one line of at most 64 characters")
        }
        return trimmed
    }

    static func validDisplayName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(trimmed.count), !trimmed.contains(where: \.isNewline) else {
            throw JarvisError.invalidField("display_name", "a display name is one line of 1 to 100 characters")
        }
        return trimmed
    }
}
