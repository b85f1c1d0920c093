import Foundation

extension ComposeProject {
    /// A project known only from the labels of its containers and networks: enough
    /// to stop, start, restart and take down a stack whose file is gone or unreadable.
    /// `containerLabels` has one entry per container; `networks` maps network keys to engine names.
    public static func fromLabels(name: String, containerLabels: [[String: String]], networks: [String: String]) -> ComposeProject {
        var services: [String: ComposeService] = [:]
        var workingDir = ""
        var configFiles: [String] = []
        for labels in containerLabels {
            guard let serviceName = labels[ComposeLabel.service] else { continue }
            var service = services[serviceName] ?? ComposeService(name: serviceName)
            service.replicas = max(service.replicas, Int(labels[ComposeLabel.number] ?? "") ?? 1)
            for entry in (labels[ComposeLabel.dependsOn] ?? "").split(separator: ",") {
                let parts = entry.split(separator: ":").map(String.init)
                guard let dependency = parts.first, !dependency.isEmpty else { continue }
                var spec = Dependency()
                if parts.count > 1, let condition = Dependency.Condition(rawValue: parts[1]) { spec.condition = condition }
                service.dependsOn[dependency] = spec
            }
            services[serviceName] = service
            workingDir = labels[ComposeLabel.workingDir] ?? workingDir
            configFiles = labels[ComposeLabel.configFiles].map { $0.split(separator: ",").map(String.init) } ?? configFiles
        }
        // A dependency on a service that has no container any more is not a dependency here.
        for key in services.keys {
            services[key]!.dependsOn = services[key]!.dependsOn.filter { services[$0.key] != nil }
        }
        var networkDefinitions: [String: NetworkDefinition] = [:]
        for (key, engineName) in networks { networkDefinitions[key] = NetworkDefinition(name: engineName) }
        return ComposeProject(name: name, workingDir: workingDir, configFiles: configFiles, services: services, disabledServices: [],
                              networks: networkDefinitions, volumes: [:], secrets: [:], configs: [:], warnings: [])
    }
}
