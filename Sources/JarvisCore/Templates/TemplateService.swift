import Compose
import DockerEngine
import Foundation
import JarvisStore

/// A deploy request: `{host?, stack?, values}`.
public struct TemplateDeployRequest: Decodable, Sendable {
    public var host: String?
    public var stack: String?
    public var values: [String: JSONValue]?
}

/// What the catalog list shows of a template.
public struct TemplateSummary: Encodable, Sendable {
    public let id: String
    public let source: String
    public let title: String
    public let description: String
    public let categories: [String]
    public let logo: String?
    public let platforms: [String]
    public let version: String
    public let requires: [String]
    public let deployable: Bool
    public let fields: Int
    public let warnings: Int

    init(_ template: AppTemplate) {
        id = template.id
        source = template.source
        title = template.title
        description = template.description
        categories = template.categories
        logo = template.logo
        platforms = template.platforms
        version = template.version
        requires = template.requires
        deployable = template.deployable
        fields = template.fields.filter { !$0.preset }.count
        warnings = template.warnings.count
    }
}

/// A queued deploy.
public struct TemplateDeployment: Sendable {
    public let task: TaskRecord
    public let stack: String
    public let host: String
    public let template: AppTemplate
}

/// Which template a stack came from, and whether the catalog has moved on.
public struct StackTemplateView: Encodable, Sendable {
    public let templateId: String
    public let templateVersion: String
    public let deployedAt: String
    /// The catalog's version now (nil when the template is gone from it).
    public let latestVersion: String?
    public let updateAvailable: Bool
}

/// The catalog, and deploys from it: a deploy renders a template into a new stack folder and queues
/// its `up` through `StackService`, so it passes exactly the checks a hand-written stack does (Compose
/// validation, the admin-only host settings, and the host-access policy at the engine's door).
public final class TemplateService: Sendable {
    public let catalog: TemplateCatalog
    let database: AppDatabase
    let hosts: HostRegistry
    public let maxListBytes: Int

    public init(catalog: TemplateCatalog, database: AppDatabase, hosts: HostRegistry, maxListBytes: Int) {
        self.catalog = catalog
        self.database = database
        self.hosts = hosts
        self.maxListBytes = maxListBytes
    }

    /// Filters: `q` (title, description, id; any case), `category`, `source`.
    public func list(q: String?, category: String?, source: String?, role: Role) -> [TemplateSummary] {
        let needle = (q ?? "").lowercased()
        return catalog.all(role: role).filter { template in
            (needle.isEmpty || [template.title, template.description, template.id].contains { $0.lowercased().contains(needle) })
                && (category.map { wanted in template.categories.contains { $0.lowercased() == wanted.lowercased() } } ?? true)
                && (source.map { $0 == template.source } ?? true)
        }.map(TemplateSummary.init)
    }

    public func template(_ id: String, role: Role) throws -> AppTemplate { try catalog.template(id, role: role) }

    /// Checks everything before writing anything: the values, the stack name, the Compose file as rendered,
    /// host-reaching settings (admins only), and that no port field is already published on the host.
    public func deploy(_ id: String, _ request: TemplateDeployRequest, by principal: Principal) async throws -> TemplateDeployment {
        let template = try template(id, role: principal.role)
        guard template.deployable else {
            throw JarvisError(409, "template_not_deployable", "template \(template.title) cannot be deployed as it is: "
                              + (template.warnings.first ?? "it has no Compose file"))
        }
        let host: HostServices
        do {
            host = try hosts.services(named: request.host)
        } catch let error as JarvisError where error.status == 404 {
            throw error.field("host")
        }
        if host.record.isArchived { throw JarvisError(409, "host_archived", "host \(host.name) is archived; unarchive it to use it").field("host") }
        try host.requireOnline()
        // A read-only engine would refuse the containers after the folder was written: refuse before.
        if host.record.readOnly || host.docker.readOnly {
            throw JarvisError(403, "read_only", "host \(host.name) is read-only: nothing can be deployed on it").field("host")
        }
        let stack = request.stack ?? template.defaultStack
        let path: String
        do {
            path = try host.stacks.folder.folder(stack)
        } catch let error as JarvisError where error.status == 400 {
            throw JarvisError.invalidField("stack", "a stack name is 1 to 64 lowercase letters, digits, - or _, starting with a letter or digit")
        }
        if host.stacks.folder.reserved.contains(stack) || FileManager.default.fileExists(atPath: path) {
            throw JarvisError(409, "stack_exists", "a stack \(stack) already exists on host \(host.name)").field("stack")
        }
        let values = try TemplateValues.resolve(template, request.values ?? [:])
        let env = values.envText(header: "written by Jarvis from template \(template.id) version \(template.version); values of secret fields stay here")
        let project: ComposeProject
        do {
            project = try ComposeLoader().load(folder: path, name: stack, text: template.compose, fileName: "compose.yaml", envText: env)
        } catch let error as ComposeError {
            var refusal = JarvisError(422, "invalid_compose", "the template does not render to a valid stack: " + (error.issues.first?.description ?? ""))
            refusal.issues = error.issues
            throw refusal
        }
        try StackService.requireAdmin(for: project, principal, to: "deploy")
        try await refuseHeldPorts(values, project: project, host: host)
        let missing = template.requires.filter { required in
            (try? host.stacks.folder.folder(required)).map { ComposeLoader.composeFile(in: $0) == nil } ?? true
        }
        if !missing.isEmpty {
            throw JarvisError(409, "requirement_missing", "template \(template.title) requires stack(s) \(missing.joined(separator: ", ")) on host "
                              + "\(host.name); deploy them first")
        }
        _ = try host.stacks.create(StackFiles(name: stack, compose: template.compose, env: env), by: principal)
        try database.recordStackTemplate(StackTemplateRecord(hostID: host.record.id, stack: stack, templateID: template.id,
                                                             templateVersion: template.version,
                                                             secretKeys: TemplateCatalog.encode(values.secretKeys), deployedBy: principal.userID))
        let task = try await host.stacks.enqueue(stack, .up, StackOperationRequest(), by: principal)
        return TemplateDeployment(task: task, stack: stack, host: host.name, template: template)
    }

    /// A port field whose port a running container on the host publishes: refused on that field.
    private func refuseHeldPorts(_ values: TemplateValues, project: ComposeProject, host: HostServices) async throws {
        let running = try await withEngineErrors { try await host.docker.containers(ListContainersOptions(all: false)) }
        for (field, port) in values.ports {
            if let holder = running.first(where: { $0.ports.contains { $0.publicPort == port } }) {
                throw JarvisError(409, "port_in_use", "values.\(field): port \(port) is already published on host \(host.name) by container \(holder.name)")
                    .field("values.\(field)")
            }
        }
        let conflicts = try await withEngineErrors { try await StackLoading.portConflicts(project, services: [], docker: host.docker) }
        if let first = conflicts.first { throw JarvisError(409, "port_in_use", first) }
    }

    // MARK: stacks from templates

    public func stackTemplate(hostID: Int64, stack: String, role: Role) -> StackTemplateView? {
        guard let record = try? database.stackTemplate(hostID: hostID, stack: stack) else { return nil }
        let latest = try? catalog.template(record.templateID, role: role).version
        return StackTemplateView(templateId: record.templateID, templateVersion: record.templateVersion, deployedAt: record.deployedAt,
                                 latestVersion: latest, updateAvailable: latest.map { $0 != record.templateVersion } ?? false)
    }

    /// The `.env` keys of a stack whose values the API never shows (a template's passwords and generated secrets).
    public func secretKeys(hostID: Int64, stack: String) -> Set<String> {
        guard let record = try? database.stackTemplate(hostID: hostID, stack: stack),
              let keys = try? JSONDecoder().decode([String].self, from: Data(record.secretKeys.utf8)) else { return [] }
        return Set(keys)
    }
}
