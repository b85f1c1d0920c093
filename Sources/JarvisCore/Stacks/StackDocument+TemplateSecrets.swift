import Foundation

extension StackDocument {
    /// The same document with the `.env` values of a template's secret fields masked (`TemplateSecretMask`).
    public func maskingTemplateSecrets(_ keys: Set<String>) -> StackDocument {
        guard !keys.isEmpty, let env else { return self }
        return StackDocument(name: name, path: path, external: external, editable: editable, fileName: fileName, compose: compose,
                             env: TemplateSecretMask.mask(env, keys: keys), status: status, services: services, errors: errors,
                             warnings: warnings, hostAccess: hostAccess)
    }
}
