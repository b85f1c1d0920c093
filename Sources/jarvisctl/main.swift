import ArgumentParser
import Foundation
import JarvisCore
import JarvisStore

/// Admin command line: run on the host, with the same config as the servers.
@main
struct JarvisCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jarvisctl",
        abstract: "Administer a Jarvis installation.",
        subcommands: [Migrate.self, UserCommand.self, AuditCommand.self, TasksCommand.self, ScheduleCommand.self, Backup.self, Restore.self,
                      NotifyCommand.self])
}

/// Opens the store named by the configuration (applying migrations).
func openStore() throws -> AppDatabase {
    let config = try JarvisConfig.load()
    return try AppDatabase(path: config.databasePath, auditKeyPath: config.auditKeyPath)
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations and list them.")

    func run() throws {
        let database = try openStore()
        for name in try database.appliedMigrations() { print(name) }
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage local accounts.",
                                                    subcommands: [List.self, Add.self, Passwd.self, Disable.self, Enable.self, Unlock.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        func run() throws {
            for user in try openStore().users() {
                print([user.username, user.role, user.disabled ? "disabled" : "active", user.createdAt].joined(separator: "\t"))
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account; the password is read from stdin.")
        @Argument var username: String
        @Option(help: "admin, operator or viewer") var role: String = "viewer"

        func run() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("role must be admin, operator or viewer") }
            let password = try readPassword()
            if let problem = PasswordPolicy.problem(with: password, username: username) { throw ValidationError(problem) }
            let database = try openStore()
            if try database.user(named: username) != nil { throw ValidationError("user \(username) already exists") }
            try database.createUser(username: username, passwordHash: try PasswordHasher().hash(password), role: role)
            print("created \(username) (\(role))")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account and end its sessions.")
        @Argument var username: String
        func run() throws { try setDisabled(username, true) }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account.")
        @Argument var username: String
        func run() throws { try setDisabled(username, false) }
    }

    struct Unlock: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear a user's failed-login throttle (every address); per-IP throttles stay.")
        @Argument var username: String

        func run() throws {
            let database = try openStore()
            guard try database.user(named: username) != nil else { throw ValidationError("no user \(username)") }
            let cleared = try database.clearLoginFailures(prefix: LoginThrottle.userPrefix(username))
            print("\(username): \(cleared) throttle row(s) cleared")
        }
    }

    static func setDisabled(_ username: String, _ disabled: Bool) throws {
        let database = try openStore()
        guard let user = try database.user(named: username), let id = user.id else { throw ValidationError("no user \(username)") }
        if disabled, user.role == "admin", !user.disabled, try database.otherActiveAdmins(than: id) == 0 {
            throw ValidationError("\(username) is the last enabled admin")
        }
        _ = try database.updateUser(id: id, role: nil, disabled: disabled)
        print("\(username) \(disabled ? "disabled; their sessions were revoked" : "enabled")")
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a password (read from stdin); ends the user's sessions.")
        @Argument var username: String

        func run() throws {
            let database = try openStore()
            guard let user = try database.user(named: username), let id = user.id else { throw ValidationError("no user \(username)") }
            let password = try readPassword()
            if let problem = PasswordPolicy.problem(with: password, username: username) { throw ValidationError(problem) }
            try database.changePassword(userID: id, passwordHash: try PasswordHasher().hash(password))
            print("password changed for \(username); their sessions were revoked")
        }
    }
}

func readPassword() throws -> String {
    guard let line = readLine(strippingNewline: true), line.count >= 8 else {
        throw ValidationError("give a password of at least 8 characters on stdin")
    }
    return line
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Check and prune the audit trail.",
                                                    subcommands: [Verify.self, Head.self, Purge.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the keyed hash chain; exit 1 at the first broken link.",
            discussion: "With --head ID:HASH (a head jarvis-sse logged, or `jarvisctl audit head` printed earlier), also check that this link is still in the chain: deleted newest rows or a rewritten chain fail.")
        @Option(help: "A published chain head, ID:HASH.") var head: String?

        func run() throws {
            let published = try head.map { text -> AuditChain.Head in
                guard let parsed = AuditChain.Head(text) else { throw ValidationError("--head wants ID:HASH (a row id and 64 hex digits)") }
                return parsed
            }
            let report: AuditChain.Report
            let store: AppDatabase
            do {
                store = try openStore()
                report = try store.verifyAudit(head: published)
            } catch let error as StoreError {
                print("CANNOT VERIFY: \(error.description)")
                throw ExitCode(1)
            }
            // A broken chain is also a notification (security.audit_chain_broken), once per first bad row.
            AuditChainWatch(database: store).record(report, by: "jarvisctl audit verify")
            if let broken = report.brokenAt {
                print("BROKEN at audit row \(broken): \(report.reason ?? "mismatch") (\(report.verified) rows verified before it)")
                throw ExitCode(1)
            }
            let keyed = report.keyedFrom.map { "keyed (HMAC-SHA256) from row \($0)" } ?? "no keyed rows yet"
            print("ok: \(report.verified) rows verified (\(report.legacyRows) with the legacy unkeyed rule), \(keyed), "
                  + "\(report.checkpoints) purge checkpoint(s)")
            if let check = report.headCheck { print(check) }
            if let current = report.head { print("head \(current)") }
        }
    }

    struct Head: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the chain head (ID:HASH) to keep somewhere the store cannot reach.")
        func run() throws {
            guard let head = try openStore().auditChainHead() else {
                print("the audit log is empty")
                return
            }
            print(head)
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete rows older than the retention, leaving a checkpoint.")
        @Option(help: "Keep this many days (default: audit_retention_days from the config).") var days: Int?

        func run() throws {
            let config = try JarvisConfig.load()
            let keep = days ?? config.auditRetentionDays
            guard keep >= 1 else { throw ValidationError("days must be at least 1") }
            let purged = try AppDatabase(path: config.databasePath, auditKeyPath: config.auditKeyPath).purgeAudit(olderThan: Date().addingTimeInterval(-Double(keep) * 86400))
            print("purged \(purged) row(s) older than \(keep) days")
        }
    }
}

struct TasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tasks", abstract: "The task queue.",
                                                    subcommands: [RunPending.self, List.self])

    struct RunPending: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every queued task once, then exit (cron on a host without jarvis-sse).")

        func run() throws {
            let (config, logger) = startProcess("jarvisctl")
            let outcome: Result<Int, Error> = Blocking.run {
                do {
                    let environment = try await JarvisEnvironment.start(config: config, logger: logger)
                    return .success(try await TaskRunner(environment: environment, logger: logger).runPending())
                } catch {
                    return .failure(error)
                }
            }
            print("ran \(try outcome.get()) task(s)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The newest tasks with their state.")
        @Option(help: "Only tasks in this state.") var state: String?

        func run() throws {
            let page = try openStore().tasks(TaskFilter(state: state))
            for task in page.tasks {
                print([task.id, task.state, task.kind, task.title, task.createdAt, task.error ?? ""].joined(separator: "\t"))
            }
        }
    }
}

struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schedule", abstract: "Scheduled jobs.",
                                                    subcommands: [Tick.self])

    struct Tick: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fire the jobs that are due, run them (and the tasks they queue), then exit (cron every minute on a host without jarvis-sse).")

        func run() throws {
            let (config, logger) = startProcess("jarvisctl")
            let outcome: Result<(fired: Int, ran: Int), Error> = Blocking.run {
                do {
                    let environment = try await JarvisEnvironment.start(config: config, logger: logger)
                    let runner = try TaskRunner(environment: environment, logger: logger)
                    let report = await JobScheduler(environment: environment, logger: logger).tick { _ = await runner.runPending() }
                    return .success(report)
                } catch {
                    return .failure(error)
                }
            }
            let report = try outcome.get()
            print("fired \(report.fired) job(s), ran \(report.ran) run(s)")
        }
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the store while Jarvis runs (SQLite's online backup); without FILE, into backup_dir with rotation.")
    @Argument(help: "Where to write the copy (mode 0600).") var file: String?

    func run() throws {
        let config = try JarvisConfig.load()
        let database = try AppDatabase(path: config.databasePath, auditKeyPath: config.auditKeyPath)
        let info: BackupInfo
        if let file {
            info = try database.backup(to: file)
        } else {
            info = try BackupRotation(folder: config.backupDir, keep: max(config.backupKeep, 1)).run(database)
        }
        print("backup \(info.path): \(info.bytes) bytes, \(info.users) user(s), \(info.auditRows) audit row(s), schema \(info.migrations.last ?? "empty")")
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace the store with a backup (stop jarvis-fcgi and jarvis-sse first); the current file is kept.")
    @Argument(help: "A file written by `jarvisctl backup`.") var file: String

    func run() throws {
        let config = try JarvisConfig.load()
        do {
            let (info, kept) = try AppDatabase.restore(from: file, to: config.databasePath)
            print("restored \(config.databasePath) from \(info.path): \(info.users) user(s), \(info.auditRows) audit row(s)")
            if let kept { print("the previous store is kept as \(kept)") }
            print("migrations newer than the backup run when Jarvis starts")
        } catch let error as StoreError {
            throw ValidationError(error.description)
        }
    }
}

/// Notifications from the command line: on a shared host without jarvis-sse, cron runs `notify flush`.
struct NotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notify", abstract: "Notifications.", subcommands: [Flush.self])

    struct Flush: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Route new events and send every due notification once, then exit (cron on a host without jarvis-sse).")

        func run() throws {
            let (config, logger) = startProcess("jarvisctl")
            let outcome: Result<(events: Int, attempts: Int), Error> = Blocking.run {
                do {
                    let environment = try await JarvisEnvironment.start(config: config, logger: logger)
                    return .success(try await NotifyDispatcher.make(environment, logger: logger).flush())
                } catch {
                    return .failure(error)
                }
            }
            let counts = try outcome.get()
            print("routed \(counts.events) event(s), made \(counts.attempts) delivery attempt(s)")
        }
    }
}
