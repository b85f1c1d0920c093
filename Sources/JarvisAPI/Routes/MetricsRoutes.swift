import JarvisCore

/// `/metrics` in the Prometheus text format: this process's requests and engine calls,
/// and the task queue as the store holds it. jarvis-sse serves its own at `/metrics/sse`.
enum MetricsRoutes {
    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        [
            Route("GET", "/metrics", access: .localOrRole(.admin)) { _ in
                var text = Observability.text()
                text += try taskText(environment)
                return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Array(text.utf8))
            },
        ]
    }

    private static func taskText(_ environment: JarvisEnvironment) throws -> String {
        let figures = try environment.database.taskFigures()
        var text = "# HELP jarvis_tasks Tasks in the store by kind and state.\n# TYPE jarvis_tasks gauge\n"
        for figure in figures { text += "jarvis_tasks{kind=\"\(figure.kind)\",state=\"\(figure.state)\"} \(figure.count)\n" }
        text += "# HELP jarvis_task_run_seconds Seconds the finished tasks of a kind and state ran, in all.\n# TYPE jarvis_task_run_seconds gauge\n"
        for figure in figures { text += "jarvis_task_run_seconds{kind=\"\(figure.kind)\",state=\"\(figure.state)\"} \(figure.runSeconds)\n" }
        return text
    }
}
