import Foundation
import JarvisStore
import Logging

/// Who did what, from where: the facts of one request an audit row needs.
public struct RequestFacts: Sendable {
    public var requestID: String
    public var ip: String?
    public var userAgent: String?

    public init(requestID: String, ip: String?, userAgent: String?) {
        self.requestID = requestID
        self.ip = ip
        self.userAgent = userAgent
    }
}

/// One state-changing action to record.
public struct AuditEvent: Sendable {
    public var action: String
    public var resourceType: String?
    public var resourceID: String?
    public var resourceName: String?
    public var params: [String: String]

    public init(action: String, resourceType: String? = nil, resourceID: String? = nil, resourceName: String? = nil,
                params: [String: String] = [:]) {
        self.action = action
        self.resourceType = resourceType
        self.resourceID = resourceID
        self.resourceName = resourceName
        self.params = params
    }
}

/// An audit row as the API shows it.
public struct AuditEntryView: Encodable, Sendable {
    public let id: Int64
    public let at: String
    public let userId: Int64?
    public let username: String?
    public let role: String?
    public let action: String
    public let resourceType: String?
    public let resourceId: String?
    public let resourceName: String?
    public let params: [String: String]?
    public let result: String
    public let error: String?
    public let ip: String?
    public let userAgent: String?
    public let requestId: String?

    init(_ record: AuditRecord) {
        id = record.id ?? 0
        at = record.at
        userId = record.userID
        username = record.username
        role = record.role
        action = record.action
        resourceType = record.resourceType
        resourceId = record.resourceID
        resourceName = record.resourceName
        params = record.params.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
        result = record.result
        error = record.error
        ip = record.ip
        userAgent = record.userAgent
        requestId = record.requestID
    }
}

/// Writes and reads the audit trail.
public final class AuditService: Sendable {
    private let database: AppDatabase
    private let logger: Logger

    public init(database: AppDatabase, logger: Logger = Logger(label: "jarvis.audit")) {
        self.database = database
        self.logger = logger
    }

    /// Records one action; a failure to write is logged, never hidden, and never fails the request twice.
    public func record(_ event: AuditEvent, by principal: Principal?, username: String? = nil, facts: RequestFacts, error: JarvisError?) {
        // One rule for secrets (`SecretMask`): secret-looking names keep their key with a
        // masked value, and URLs anywhere lose their user info, before the row is written.
        let params = Self.scrub(event.params)
        let paramsJSON = params.isEmpty ? nil : (try? JSONEncoder().encode(params)).map { String(decoding: $0, as: UTF8.self) }
        let row = AuditRecord(at: Timestamp.string(), userID: principal?.userID, username: principal?.username ?? username,
                              role: principal?.role.rawValue, action: event.action, resourceType: event.resourceType,
                              resourceID: event.resourceID, resourceName: event.resourceName.map { SecretMask.maskURLs(in: $0) }, params: paramsJSON,
                              result: error == nil ? "success" : "failure", error: error.map { SecretMask.maskURLs(in: $0.message) },
                              ip: facts.ip, userAgent: facts.userAgent, requestID: facts.requestID)
        do {
            try database.appendAudit(row)
        } catch {
            logger.error("audit write failed", metadata: ["action": "\(event.action)", "request_id": "\(facts.requestID)", "error": "\(error)"])
        }
    }

    /// Parameters as the trail may keep them.
    static func scrub(_ params: [String: String]) -> [String: String] { SecretMask.maskDictionary(params) }

    /// Every matching entry, newest first, one at a time.
    public func forEach(_ query: AuditQuery, _ body: (AuditEntryView) throws -> Void) throws {
        try database.forEachAuditEntry(query) { try body(AuditEntryView($0)) }
    }

    public func list(_ query: AuditQuery) throws -> (items: [AuditEntryView], total: Int) {
        let page = try database.auditEntries(query)
        return (page.items.map(AuditEntryView.init), page.total)
    }
}

/// CSV rendering of audit entries (RFC 4180 quoting).
public enum AuditExport {
    public static let csvHeader = "id,at,username,role,action,resource_type,resource_id,resource_name,result,error,ip,user_agent,request_id,params"

    public static func csvLine(_ entry: AuditEntryView) -> String {
        let params = entry.params.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";") }
        return [String(entry.id), entry.at, entry.username, entry.role, entry.action, entry.resourceType, entry.resourceId,
                entry.resourceName, entry.result, entry.error, entry.ip, entry.userAgent, entry.requestId, params]
            .map { quote($0 ?? "") }.joined(separator: ",")
    }

    static func quote(_ field: String) -> String {
        // A leading =, +, - or @ would be a formula in a spreadsheet: prefix a quote.
        var value = field
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { ",\"\n\r".contains($0) }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
