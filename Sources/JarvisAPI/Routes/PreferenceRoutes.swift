import JarvisCore
import JarvisStore

/// Your own console preferences (the UI language): any signed-in user reads and sets theirs.
enum PreferenceRoutes {
    /// The languages the UI has catalogs for (public/lib/messages).
    static let languages: Set<String> = ["en", "zh-CN"]

    struct Preferences: Codable { let language: String? }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let database = environment.database
        return [
            Route("GET", "/api/v1/auth/me/preferences", access: .role(.viewer)) { context in
                let stored = try database.preferences(userID: context.principal!.userID)
                return try .json(Preferences(language: stored["language"]))
            },
            Route("PUT", "/api/v1/auth/me/preferences", access: .role(.viewer)) { context in
                let principal = context.principal!
                let body = try context.decode(Preferences.self)
                if let language = body.language {
                    guard languages.contains(language) else {
                        throw JarvisError.invalidField("language", "must be one of \(languages.sorted().joined(separator: ", "))")
                    }
                    try database.setPreference(userID: principal.userID, key: "language", value: language)
                }
                let stored = try database.preferences(userID: principal.userID)
                return try .json(Preferences(language: stored["language"]))
            },
        ]
    }
}
