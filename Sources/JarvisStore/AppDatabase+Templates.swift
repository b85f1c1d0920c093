import GRDB

/// An imported template list: its converted templates (JSON) are the last good copy.
public struct TemplateSourceRecord: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var url: String?
    public var templates: String
    public var warnings: String
    public var fetchedAt: String?
    public var lastError: String?
    public var createdAt: String
    public var updatedAt: String

    init(row: Row) {
        id = row["id"]
        name = row["name"]
        url = row["url"]
        templates = row["templates"]
        warnings = row["warnings"]
        fetchedAt = row["fetched_at"]
        lastError = row["last_error"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
    }
}

/// Which template (and version) a stack on a host was deployed from.
public struct StackTemplateRecord: Sendable, Equatable {
    public var hostID: Int64
    public var stack: String
    public var templateID: String
    public var templateVersion: String
    /// JSON list of the `.env` keys holding secrets the API never shows.
    public var secretKeys: String
    public var deployedBy: Int64?
    public var deployedAt: String

    public init(hostID: Int64, stack: String, templateID: String, templateVersion: String, secretKeys: String, deployedBy: Int64?,
                deployedAt: String = Timestamp.string()) {
        self.hostID = hostID
        self.stack = stack
        self.templateID = templateID
        self.templateVersion = templateVersion
        self.secretKeys = secretKeys
        self.deployedBy = deployedBy
        self.deployedAt = deployedAt
    }
}

extension AppDatabase {
    public func templateSources() throws -> [TemplateSourceRecord] {
        try pool.read { try Row.fetchAll($0, sql: "SELECT * FROM template_sources ORDER BY name").map(TemplateSourceRecord.init) }
    }

    public func templateSource(id: Int64) throws -> TemplateSourceRecord? {
        try pool.read { try Row.fetchOne($0, sql: "SELECT * FROM template_sources WHERE id = ?", arguments: [id]).map(TemplateSourceRecord.init) }
    }

    /// Adds a list; nil when the name is taken.
    public func insertTemplateSource(name: String, url: String?, templates: String, warnings: String, fetchedAt: String?,
                                     createdBy: Int64?) throws -> TemplateSourceRecord? {
        try pool.write { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM template_sources WHERE name = ?", arguments: [name]) == nil else { return nil }
            let now = Timestamp.string()
            try db.execute(sql: """
                INSERT INTO template_sources (name, url, templates, warnings, fetched_at, created_by, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [name, url, templates, warnings, fetchedAt, createdBy, now, now])
            return try Row.fetchOne(db, sql: "SELECT * FROM template_sources WHERE id = ?", arguments: [db.lastInsertedRowID])
                .map(TemplateSourceRecord.init)
        }
    }

    /// A fetch that worked replaces the copy; one that failed only records its error (the last good copy stays).
    public func recordTemplateFetch(id: Int64, templates: String?, warnings: String?, error: String?) throws {
        try pool.write { db in
            let now = Timestamp.string()
            if let templates, let warnings {
                try db.execute(sql: """
                    UPDATE template_sources SET templates = ?, warnings = ?, fetched_at = ?, last_error = NULL, updated_at = ? WHERE id = ?
                    """, arguments: [templates, warnings, now, now, id])
            } else {
                try db.execute(sql: "UPDATE template_sources SET last_error = ?, updated_at = ? WHERE id = ?", arguments: [error, now, id])
            }
        }
    }

    public func deleteTemplateSource(id: Int64) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM template_sources WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func recordStackTemplate(_ record: StackTemplateRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO stack_templates (host_id, stack, template_id, template_version, secret_keys, deployed_by, deployed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(host_id, stack) DO UPDATE SET template_id = excluded.template_id, template_version = excluded.template_version,
                    secret_keys = excluded.secret_keys, deployed_by = excluded.deployed_by, deployed_at = excluded.deployed_at
                """, arguments: [record.hostID, record.stack, record.templateID, record.templateVersion, record.secretKeys, record.deployedBy,
                                 record.deployedAt])
        }
    }

    public func stackTemplate(hostID: Int64, stack: String) throws -> StackTemplateRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM stack_templates WHERE host_id = ? AND stack = ?", arguments: [hostID, stack]).map { row in
                StackTemplateRecord(hostID: row["host_id"], stack: row["stack"], templateID: row["template_id"],
                                    templateVersion: row["template_version"], secretKeys: row["secret_keys"], deployedBy: row["deployed_by"],
                                    deployedAt: row["deployed_at"])
            }
        }
    }

    public func forgetStackTemplate(hostID: Int64, stack: String) throws {
        try pool.write { try $0.execute(sql: "DELETE FROM stack_templates WHERE host_id = ? AND stack = ?", arguments: [hostID, stack]) }
    }
}
