import Foundation
import Metrics
import Prometheus

/// Metrics of this process in Prometheus text. Libraries record through
/// swift-metrics (`Timer`, `Counter`, `Meter`); this registry is their backend.
public enum Observability {
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = NSLock()
    nonisolated(unsafe) private static var done = false

    /// Once per process, before the first metric is recorded (later calls do nothing).
    public static func bootstrap() {
        bootstrapped.withLock {
            guard !done else { return }
            done = true
            var factory = PrometheusMetricsFactory(registry: registry)
            // Requests and engine calls: most well under a second, pulls and builds are not timed here.
            factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                                       .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                                       .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(120)]
            MetricsSystem.bootstrap(factory)
        }
    }

    /// Everything this process recorded, in the Prometheus text format.
    public static func text() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// True for a peer on this host: metrics are open to it without a session.
    public static func isLocal(_ address: String?) -> Bool {
        guard let address else { return false }
        return address == "::1" || address.hasPrefix("127.") || address == "::ffff:127.0.0.1"
    }
}
