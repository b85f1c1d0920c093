import GRDB

extension AppDatabase {
    /// A user's console preferences (key → value); empty when they chose nothing yet.
    public func preferences(userID: Int64) throws -> [String: String] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM user_preferences WHERE user_id = ?", arguments: [userID])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["key"] as String, $0["value"] as String) })
        }
    }

    /// Stores one of a user's preferences, replacing the old value.
    public func setPreference(userID: Int64, key: String, value: String) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO user_preferences (user_id, key, value, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """, arguments: [userID, key, value, Timestamp.string()])
        }
    }
}
