import GRDB

/// Filters of the audit log listing.
public struct AuditQuery: Sendable {
    public var action: String?
    public var username: String?
    public var page = 1
    public var pageSize = 50

    public init(action: String? = nil, username: String? = nil, page: Int = 1, pageSize: Int = 50) {
        self.action = action
        self.username = username
        self.page = page
        self.pageSize = pageSize
    }
}

extension AppDatabase {
    /// Newest first, with the total count of matching rows.
    public func auditEntries(_ query: AuditQuery) throws -> (items: [AuditRecord], total: Int) {
        try pool.read { db in
            var request = AuditRecord.all()
            if let action = query.action {
                // "container" matches every container.* action; an exact name matches itself.
                request = request.filter(sql: "action = ? OR action LIKE ? ESCAPE '\\'",
                                         arguments: [action, Self.likePrefix(action) + ".%"])
            }
            if let username = query.username {
                request = request.filter(sql: "username = ? COLLATE NOCASE", arguments: [username])
            }
            let total = try request.fetchCount(db)
            let items = try request.order(sql: "id DESC")
                .limit(query.pageSize, offset: (query.page - 1) * query.pageSize)
                .fetchAll(db)
            return (items, total)
        }
    }

    private static func likePrefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}
