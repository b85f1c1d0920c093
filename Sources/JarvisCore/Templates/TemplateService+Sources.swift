import Foundation
import JarvisStore

/// An imported template list as the admin page shows it.
public struct TemplateSourceView: Encodable, Sendable {
    public let id: Int64
    public let name: String
    public let url: String?
    public let templates: Int
    /// Problems of the list, then `<template id>: <warning>` for each template's.
    public let warnings: [String]
    public let fetchedAt: String?
    public let lastError: String?
    public let createdAt: String

    init(_ record: TemplateSourceRecord) {
        id = record.id
        name = record.name
        url = record.url
        let templates = TemplateCatalog.decodeTemplates(record.templates)
        self.templates = templates.count
        let own = (try? JSONDecoder().decode([String].self, from: Data(record.warnings.utf8))) ?? []
        warnings = own + templates.flatMap { template in template.warnings.map { "\(template.id): \($0)" } }
        fetchedAt = record.fetchedAt
        lastError = record.lastError
        createdAt = record.createdAt
    }
}

extension TemplateService {
    public func sources() throws -> [TemplateSourceView] { try database.templateSources().map(TemplateSourceView.init) }

    public func source(_ id: Int64) throws -> TemplateSourceView {
        guard let record = try database.templateSource(id: id) else { throw JarvisError.notFound("no template source \(id)") }
        return TemplateSourceView(record)
    }

    /// Imports an uploaded Portainer list (v2 or v3) under `name`; nothing is stored when it does not convert.
    public func importList(name: String, data: Data, by principal: Principal) throws -> TemplateSourceView {
        guard StacksFolder.isValidName(name), !["builtin", "local"].contains(name) else {
            throw JarvisError.invalidField("name", "1 to 64 lowercase letters, digits, - or _ (not builtin or local)")
        }
        guard data.count <= maxListBytes else { throw JarvisError(413, "too_large", "a template list may be at most \(maxListBytes) bytes").field("file") }
        let converted = try PortainerImport.convert(data, source: name)
        guard let record = try database.insertTemplateSource(name: name, url: nil, templates: TemplateCatalog.encode(converted.templates),
                                                             warnings: TemplateCatalog.encode(converted.warnings), fetchedAt: Timestamp.string(),
                                                             createdBy: principal.userID) else {
            throw JarvisError(409, "source_exists", "a template source \(name) already exists").field("name")
        }
        return TemplateSourceView(record)
    }

    /// Adds a list fetched from `url` (fetched now: a URL that does not answer a list is refused, nothing stored).
    public func addSource(name: String, url: String, by principal: Principal) async throws -> TemplateSourceView {
        guard StacksFolder.isValidName(name), !["builtin", "local"].contains(name) else {
            throw JarvisError.invalidField("name", "1 to 64 lowercase letters, digits, - or _ (not builtin or local)")
        }
        if try database.templateSources().contains(where: { $0.name == name }) {
            throw JarvisError(409, "source_exists", "a template source \(name) already exists").field("name")
        }
        let data: Data
        do {
            data = try await TemplateListFetch.get(url, maxBytes: maxListBytes)
        } catch let failure as TemplateListFetch.Failure {
            throw JarvisError(400, "fetch_failed", "cannot fetch the list: \(failure.description)").field("url")
        }
        let converted = try PortainerImport.convert(data, source: name)
        guard let record = try database.insertTemplateSource(name: name, url: url, templates: TemplateCatalog.encode(converted.templates),
                                                             warnings: TemplateCatalog.encode(converted.warnings), fetchedAt: Timestamp.string(),
                                                             createdBy: principal.userID) else {
            throw JarvisError(409, "source_exists", "a template source \(name) already exists").field("name")
        }
        return TemplateSourceView(record)
    }

    /// Fetches a URL source again. A fetch or conversion that fails keeps the last good copy and records the error.
    @discardableResult
    public func refresh(_ id: Int64) async throws -> TemplateSourceView {
        guard let record = try database.templateSource(id: id) else { throw JarvisError.notFound("no template source \(id)") }
        guard let url = record.url else {
            throw JarvisError(409, "not_fetched", "template source \(record.name) was uploaded; upload it again to change it")
        }
        do {
            let converted = try PortainerImport.convert(try await TemplateListFetch.get(url, maxBytes: maxListBytes), source: record.name)
            try database.recordTemplateFetch(id: id, templates: TemplateCatalog.encode(converted.templates),
                                             warnings: TemplateCatalog.encode(converted.warnings), error: nil)
        } catch let failure as TemplateListFetch.Failure {
            try database.recordTemplateFetch(id: id, templates: nil, warnings: nil, error: failure.description)
        } catch let error as JarvisError {
            try database.recordTemplateFetch(id: id, templates: nil, warnings: nil, error: error.message)
        }
        return try source(id)
    }

    /// Every URL source fetched again (jarvis-sse's schedule).
    public func refreshAll() async {
        for record in (try? database.templateSources()) ?? [] where record.url != nil {
            _ = try? await refresh(record.id)
        }
    }

    public func removeSource(_ id: Int64) throws {
        guard try database.deleteTemplateSource(id: id) else { throw JarvisError.notFound("no template source \(id)") }
    }
}
