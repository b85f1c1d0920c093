import GRDB

/// Filters of the audit log listing.
public struct AuditQuery: Sendable {
    public var action: String?
    public var username: String?
    public var resourceType: String?
    /// `success` or `failure`.
    public var result: String?
    public var ip: String?
    /// RFC 3339 bounds on `at`, inclusive.
    public var from: String?
    public var to: String?
    /// Substring of the target's id or name, the error, or the parameters.
    public var text: String?
    public var page = 1
    public var pageSize = 50

    public init(action: String? = nil, username: String? = nil, resourceType: String? = nil, result: String? = nil,
                ip: String? = nil, from: String? = nil, to: String? = nil, text: String? = nil, page: Int = 1, pageSize: Int = 50) {
        self.action = action
        self.username = username
        self.resourceType = resourceType
        self.result = result
        self.ip = ip
        self.from = from
        self.to = to
        self.text = text
        self.page = page
        self.pageSize = pageSize
    }
}

extension AppDatabase {
    /// Newest first, with the total count of matching rows.
    public func auditEntries(_ query: AuditQuery) throws -> (items: [AuditRecord], total: Int) {
        try pool.read { db in
            let request = Self.filtered(query)
            let total = try request.fetchCount(db)
            let items = try request.order(sql: "id DESC")
                .limit(query.pageSize, offset: (query.page - 1) * query.pageSize)
                .fetchAll(db)
            return (items, total)
        }
    }

    /// Every matching row, newest first, handed over one at a time from a
    /// cursor (exports stream without holding the log in memory).
    public func forEachAuditEntry(_ query: AuditQuery, _ body: (AuditRecord) throws -> Void) throws {
        try pool.read { db in
            let rows = try Self.filtered(query).order(sql: "id DESC").fetchCursor(db)
            while let row = try rows.next() { try body(row) }
        }
    }

    private static func filtered(_ query: AuditQuery) -> QueryInterfaceRequest<AuditRecord> {
        var request = AuditRecord.all()
        if let action = query.action {
            // "container" matches every container.* action; an exact name matches itself.
            request = request.filter(sql: "action = ? OR action LIKE ? ESCAPE '\\'", arguments: [action, likePrefix(action) + ".%"])
        }
        if let username = query.username { request = request.filter(sql: "username = ? COLLATE NOCASE", arguments: [username]) }
        if let type = query.resourceType { request = request.filter(sql: "resource_type = ?", arguments: [type]) }
        if let result = query.result { request = request.filter(sql: "result = ?", arguments: [result]) }
        if let ip = query.ip { request = request.filter(sql: "ip = ?", arguments: [ip]) }
        if let from = query.from { request = request.filter(sql: "at >= ?", arguments: [from]) }
        if let to = query.to { request = request.filter(sql: "at <= ?", arguments: [to]) }
        if let text = query.text, !text.isEmpty {
            let like = "%" + likePrefix(text) + "%"
            request = request.filter(sql: """
                resource_id LIKE ? ESCAPE '\\' OR resource_name LIKE ? ESCAPE '\\' OR error LIKE ? ESCAPE '\\' OR params LIKE ? ESCAPE '\\'
                """, arguments: [like, like, like, like])
        }
        return request
    }

    private static func likePrefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}
