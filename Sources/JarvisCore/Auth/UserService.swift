import Foundation
import JarvisStore

/// Account administration and own-password changes.
public final class UserService: Sendable {
    private let database: AppDatabase
    private let hasher: PasswordHasher
    private let notifier: Notifier

    public init(database: AppDatabase, hasher: PasswordHasher = PasswordHasher(), notifier: Notifier? = nil) {
        self.database = database
        self.hasher = hasher
        self.notifier = notifier ?? Notifier(database: database)
    }

    static func validUsername(_ name: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@")
        return (1...64).contains(name.count) && name.allSatisfy(allowed.contains)
    }

    public func list() throws -> [UserView] { try database.users().map(UserView.init) }

    public func get(_ id: Int64) throws -> UserView {
        guard let user = try database.user(id: id) else { throw JarvisError.notFound("no user with id \(id)") }
        return UserView(user)
    }

    public func create(username: String, password: String, role: String) throws -> UserView {
        guard Self.validUsername(username) else {
            throw JarvisError.badRequest("username: 1-64 letters, digits, '.', '_', '-', '@'", code: "invalid_username")
        }
        guard Role(rawValue: role) != nil else { throw JarvisError.badRequest("role must be admin, operator or viewer", code: "invalid_role") }
        try PasswordPolicy.check(password, username: username)
        if try database.user(named: username) != nil { throw JarvisError.conflict("user \(username) already exists") }
        let user = UserView(try database.createUser(username: username, passwordHash: try hasher.hash(password), role: role))
        if role == "admin" {
            notifier.emit(.adminCreated, target: username, summary: "\(username) was created with the admin role", fields: ["username": username])
        }
        return user
    }

    /// Changes role and/or disabled; never leaves the system without an enabled admin.
    public func update(_ id: Int64, role: String?, disabled: Bool?, by actor: Principal) throws -> UserView {
        if let role, Role(rawValue: role) == nil { throw JarvisError.badRequest("role must be admin, operator or viewer", code: "invalid_role") }
        let current = try get(id)
        if id == actor.userID && disabled == true { throw JarvisError.conflict("you cannot disable your own account") }
        let losesAdmin = current.role == "admin" && !current.disabled && ((role != nil && role != "admin") || disabled == true)
        if losesAdmin, try database.otherActiveAdmins(than: id) == 0 {
            throw JarvisError.conflict("\(current.username) is the last enabled admin")
        }
        // A role change or a disabling ends the user's sessions (their refresh
        // families), except the one making the change when it is their own.
        let updated = UserView(try database.updateUser(id: id, role: role, disabled: disabled,
                                                       keepingFamily: id == actor.userID ? actor.sessionID : nil))
        if role == "admin" && current.role != "admin" {
            notifier.emit(.adminCreated, target: current.username, summary: "\(current.username) was made an admin by \(actor.username)",
                          fields: ["username": current.username, "by": actor.username])
        }
        return updated
    }

    /// The user, when `actor` may delete them: checked before a confirmation is asked for.
    public func deletable(_ id: Int64, by actor: Principal) throws -> UserView {
        let current = try get(id)
        if id == actor.userID { throw JarvisError.conflict("you cannot delete your own account") }
        if current.role == "admin", !current.disabled, try database.otherActiveAdmins(than: id) == 0 {
            throw JarvisError.conflict("\(current.username) is the last enabled admin")
        }
        return current
    }

    public func delete(_ id: Int64, by actor: Principal) throws {
        _ = try deletable(id, by: actor)
        try database.deleteUser(id: id)
    }

    /// An admin sets someone's password; all their sessions end.
    public func resetPassword(_ id: Int64, to password: String) throws {
        let user = try get(id)
        try PasswordPolicy.check(password, username: user.username)
        try database.changePassword(userID: id, passwordHash: try hasher.hash(password))
    }

    /// A user changes their own password; their other sessions end, this one stays.
    public func changeOwnPassword(_ principal: Principal, current: String, new: String) throws {
        guard let user = try database.user(id: principal.userID), hasher.verify(current, against: user.passwordHash) else {
            throw JarvisError(403, "wrong_password", "the current password is not correct").field("current_password")
        }
        do { try PasswordPolicy.check(new, username: user.username) } catch let error as JarvisError { throw error.field("new_password") }
        try database.changePassword(userID: principal.userID, passwordHash: try hasher.hash(new), keepingFamily: principal.sessionID)
    }
}
