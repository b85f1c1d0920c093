import JarvisCore
import JarvisStore

/// Your own console preferences (the UI language and theme): any signed-in user reads and sets theirs.
enum PreferenceRoutes {
    /// The languages the UI has catalogs for (public/lib/messages).
    static let languages: Set<String> = ["en", "zh-CN"]

    /// `system` follows the browser's light or dark setting.
    static let themes: Set<String> = ["system", "light", "dark"]

    struct Preferences: Codable { let language: String?; let theme: String? }

    static func stored(_ values: [String: String]) -> Preferences {
        Preferences(language: values["language"], theme: values["theme"])
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let database = environment.database
        return [
            Route("GET", "/api/v1/auth/me/preferences", access: .role(.viewer)) { context in
                let stored = try database.preferences(userID: context.principal!.userID)
                return try .json(Self.stored(stored))
            },
            Route("PUT", "/api/v1/auth/me/preferences", access: .role(.viewer)) { context in
                let principal = context.principal!
                let body = try context.decode(Preferences.self)
                // Every field is checked before any is stored: a refused body changes nothing.
                if let language = body.language, !languages.contains(language) {
                    throw JarvisError.invalidField("language", "must be one of \(languages.sorted().joined(separator: ", "))")
                }
                if let theme = body.theme, !themes.contains(theme) {
                    throw JarvisError.invalidField("theme", "must be one of \(themes.sorted().joined(separator: ", "))")
                }
                if let language = body.language { try database.setPreference(userID: principal.userID, key: "language", value: language) }
                if let theme = body.theme { try database.setPreference(userID: principal.userID, key: "theme", value: theme) }
                return try .json(Self.stored(try database.preferences(userID: principal.userID)))
            },
        ]
    }
}
