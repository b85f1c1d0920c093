import Foundation

/// One entry of the catalog: a Compose file plus what the form needs. Built-in
/// templates are Compose files with an `x-jarvis` block (docs/templates.md);
/// imported Portainer entries are converted to the same shape.
public struct AppTemplate: Codable, Sendable, Equatable {
    /// `builtin.postgres`, `<source>.<slug>`: unique across sources, one URL path segment.
    public var id: String
    /// `builtin` or the name of an imported source.
    public var source: String
    public var title: String
    public var description: String
    public var categories: [String]
    /// A URL, or a file name next to the template (served under `/templates/`), or nil.
    public var logo: String?
    public var notes: String?
    /// `linux/amd64`, `linux/arm64`, … (Portainer's `linux` is kept as it is).
    public var platforms: [String]
    /// The template's own version: a stack remembers it, so the UI can tell when the catalog has a newer one.
    public var version: String
    /// Stacks this one needs running first (`x-jarvis.requires`), by stack name on the same host.
    public var requires: [String]
    /// The stack name the form proposes.
    public var defaultStack: String
    public var fields: [TemplateField]
    /// The Compose file written to the new stack (its `x-jarvis` block included, so `requires` stays with the stack).
    public var compose: String
    /// False for entries that cannot be deployed as they are (a Portainer stack whose file is in a Git repository).
    public var deployable: Bool
    /// What the conversion could not carry over, for the admin to read.
    public var warnings: [String]
    /// Portainer's `administrator_only`: listed for admins only.
    public var adminOnly: Bool

    public init(id: String, source: String, title: String, description: String = "", categories: [String] = [], logo: String? = nil,
                notes: String? = nil, platforms: [String] = [], version: String = "1", requires: [String] = [], defaultStack: String,
                fields: [TemplateField] = [], compose: String, deployable: Bool = true, warnings: [String] = [], adminOnly: Bool = false) {
        self.id = id
        self.source = source
        self.title = title
        self.description = description
        self.categories = categories
        self.logo = logo
        self.notes = notes
        self.platforms = platforms
        self.version = version
        self.requires = requires
        self.defaultStack = defaultStack
        self.fields = fields
        self.compose = compose
        self.deployable = deployable
        self.warnings = warnings
        self.adminOnly = adminOnly
    }
}

/// One input of a template's form; its value lands in the stack's `.env` as `env=value`.
public struct TemplateField: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case text, password, number, boolean, select, port, random
    }

    /// A choice of a `select` field.
    public struct Option: Codable, Sendable, Equatable {
        public var value: String
        public var label: String

        public init(value: String, label: String) {
            self.value = value
            self.label = label
        }
    }

    /// The key in a deploy request's `values` (`db_password`): lowercase letters, digits and `_`.
    public var name: String
    /// The variable in `.env` (`POSTGRES_PASSWORD`); defaults to the name in upper case.
    public var env: String
    public var type: Kind
    public var label: String
    public var description: String?
    /// As text, whatever the type (`"5432"`, `"true"`).
    public var defaultValue: String?
    public var required: Bool
    /// The whole value must match (PCRE2, anchored, under match limits).
    public var regex: String?
    public var options: [Option]
    /// Bounds of a `number` (a `port` is always 1…65535).
    public var min: Int?
    public var max: Int?
    /// A `random` secret's length and alphabet (`alnum`, `hex`, `base64url`, or the characters themselves).
    public var length: Int?
    public var alphabet: String?
    /// Portainer's `preset`: the value is fixed and the form shows no input.
    public var preset: Bool

    public init(name: String, env: String? = nil, type: Kind, label: String? = nil, description: String? = nil, defaultValue: String? = nil,
                required: Bool = false, regex: String? = nil, options: [Option] = [], min: Int? = nil, max: Int? = nil,
                length: Int? = nil, alphabet: String? = nil, preset: Bool = false) {
        self.name = name
        self.env = env ?? name.uppercased()
        self.type = type
        self.label = label ?? name
        self.description = description
        self.defaultValue = defaultValue
        self.required = required
        self.regex = regex
        self.options = options
        self.min = min
        self.max = max
        self.length = length
        self.alphabet = alphabet
        self.preset = preset
    }

    enum CodingKeys: String, CodingKey {
        case name, env, type, label, description, defaultValue = "default", required, regex, options, min, max, length, alphabet, preset
    }

    /// Values of this field are never shown back: passwords and generated secrets.
    public var isSecret: Bool { type == .password || type == .random }
}
