import Foundation
import JarvisStore
import Logging

/// The kinds of event Jarvis can notify about, with their default severity and names in both languages.
public enum NotifyEventKind: String, CaseIterable, Sendable, Codable {
    case containerDied = "container.died"
    case containerOOM = "container.oom"
    case containerUnhealthy = "container.unhealthy"
    case containerRestartLoop = "container.restart_loop"
    case hostOffline = "host.offline"
    case hostOnline = "host.online"
    case taskFailed = "task.failed"
    case loginLockout = "security.login_lockout"
    case adminCreated = "security.admin_created"
    case jobFailed = "job.failed"
    case jobTimedOut = "job.timed_out"
    case jobRecovered = "job.recovered"
    case hostCertificateExpiring = "host.certificate_expiring"
    case hostDiskUsage = "host.disk_usage"
    case auditChainBroken = "security.audit_chain_broken"
    case imageUpdateAvailable = "image.update_available"
    case imageUpdated = "image.updated"
    case imageUpdateRolledBack = "image.update_rolled_back"
    case imageUpdateFailed = "image.update_failed"
    case test = "notify.test"

    /// Severity when the source does not say: `critical`, `warning` or `info`.
    public var severity: String {
        switch self {
        case .containerOOM, .hostOffline, .containerRestartLoop, .auditChainBroken, .imageUpdateFailed: return "critical"
        case .containerDied, .containerUnhealthy, .taskFailed, .loginLockout, .adminCreated, .jobFailed, .jobTimedOut,
             .hostCertificateExpiring, .hostDiskUsage, .imageUpdateRolledBack: return "warning"
        case .hostOnline, .jobRecovered, .test, .imageUpdateAvailable, .imageUpdated: return "info"
        }
    }

    /// The event's name for a message, in `language` (`en` or `zh-CN`).
    public func label(_ language: String) -> String {
        let chinese = language.hasPrefix("zh")
        switch self {
        case .containerDied: return chinese ? "容器异常退出" : "Container exited with an error"
        case .containerOOM: return chinese ? "容器因内存不足被终止" : "Container killed for lack of memory (OOM)"
        case .containerUnhealthy: return chinese ? "容器健康检查失败" : "Container became unhealthy"
        case .containerRestartLoop: return chinese ? "容器反复重启" : "Container is in a restart loop"
        case .hostOffline: return chinese ? "主机离线" : "Host went offline"
        case .hostOnline: return chinese ? "主机恢复在线" : "Host is back online"
        case .taskFailed: return chinese ? "任务失败" : "Task failed"
        case .loginLockout: return chinese ? "登录被锁定" : "Login locked out after failed attempts"
        case .adminCreated: return chinese ? "新建了管理员" : "A new admin was created"
        case .jobFailed: return chinese ? "计划任务运行失败" : "Job run failed"
        case .jobTimedOut: return chinese ? "计划任务运行超时" : "Job run timed out"
        case .jobRecovered: return chinese ? "计划任务失败后恢复成功" : "Job run succeeded after failing"
        case .hostCertificateExpiring: return chinese ? "主机证书即将过期" : "Host certificate expires soon"
        case .hostDiskUsage: return chinese ? "主机磁盘占用超过阈值" : "Host disk use above the threshold"
        case .auditChainBroken: return chinese ? "审计日志链校验失败" : "Audit chain verification failed"
        case .imageUpdateAvailable: return chinese ? "镜像有可用更新" : "Image update available"
        case .imageUpdated: return chinese ? "容器已更新到新镜像" : "Container updated to a new image"
        case .imageUpdateRolledBack: return chinese ? "更新失败，已自动回滚" : "Update failed and was rolled back"
        case .imageUpdateFailed: return chinese ? "更新失败且未能回滚" : "Update failed and could not be rolled back"
        case .test: return chinese ? "Jarvis 测试消息" : "Jarvis test message"
        }
    }

    /// Kinds a rule may name (the test kind is only for "send test").
    public static var ruleKinds: [NotifyEventKind] { allCases.filter { $0 != .test } }
}

/// Severities from least to most urgent; a rule's `min_severity` keeps what is at least as urgent.
public enum NotifySeverity {
    public static let ordered = ["info", "warning", "critical"]
    public static func rank(_ severity: String) -> Int { ordered.firstIndex(of: severity) ?? 0 }
}

/// What event sources call: one store insert, errors logged and swallowed, so producing an
/// event never blocks or fails its source. Routing and sending happen later in jarvis-sse.
public struct Notifier: Sendable {
    let database: AppDatabase
    let logger: Logger

    public init(database: AppDatabase, logger: Logger = Logger(label: "jarvis.notify")) {
        self.database = database
        self.logger = logger
    }

    /// Records one event. `target` names what it is about (container name, host name, task id, username).
    public func emit(_ kind: NotifyEventKind, target: String, summary: String, host: (id: Int64, name: String)? = nil,
                     severity: String? = nil, fields: [String: String] = [:]) {
        var all = fields
        all["summary"] = summary
        let json = (try? JSONSerialization.data(withJSONObject: all, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let record = NotifyEventRecord(kind: kind.rawValue, severity: severity ?? kind.severity, hostID: host?.id, hostName: host?.name,
                                       target: target, summary: summary, fields: json)
        do {
            try database.recordNotifyEvent(record)
        } catch {
            logger.error("notification event not stored", metadata: ["kind": "\(kind.rawValue)", "error": "\(error)"])
        }
    }
}
