// swift-tools-version:6.0
import PackageDescription

// Language mode 5: the FastCGI pool is plain threads around C calls; strict
// Sendable checking there costs more than it catches. New modules may opt in.
let settings: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "jarvis",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "DockerEngine", targets: ["DockerEngine"]),
        .library(name: "Compose", targets: ["Compose"]),
        .executable(name: "jarvis-fcgi", targets: ["JarvisFCGI"]),
        .executable(name: "jarvis-sse", targets: ["JarvisSSE"]),
        .executable(name: "jarvisctl", targets: ["jarvisctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        // Already in the graph through jwt-kit; DockerEngine reads CA and client certificates with it.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.15.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System-library shims.
        .target(name: "CFastCGI", linkerSettings: [.linkedLibrary("fcgi")]),
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "CMalloc"),
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CPCRE2", linkerSettings: [.linkedLibrary("pcre2-8")]),

        // Libraries.
        // Triggers and next fire times: pure (Foundation's TimeZone only), so golden tests need no store or engine.
        .target(name: "Schedule", swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "DockerEngine",
                dependencies: ["CCurl", .product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics"),
                               .product(name: "X509", package: "swift-certificates"), .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: settings),
        .target(name: "Compose", dependencies: [.product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: settings),
        .target(name: "JarvisStore",
                dependencies: [.product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: settings),
        .target(name: "JarvisCore",
                dependencies: [
                    "DockerEngine", "Compose", "JarvisStore", "Schedule", "CMalloc", "CZlib", "CPCRE2",
                    .product(name: "Crypto", package: "swift-crypto"),
                    .product(name: "CryptoExtras", package: "swift-crypto"),
                    .product(name: "JWTKit", package: "jwt-kit"),
                    .product(name: "Logging", package: "swift-log"),
                    .product(name: "Metrics", package: "swift-metrics"),
                    .product(name: "Prometheus", package: "swift-prometheus"),
                    // Template files' `x-jarvis` blocks (Compose reads the rest).
                    .product(name: "Yams", package: "Yams"),
                ],
                swiftSettings: settings),
        .target(name: "JarvisAPI", dependencies: ["JarvisCore", "JarvisStore", "Compose", "Schedule", .product(name: "Metrics", package: "swift-metrics")],
                swiftSettings: settings),

        // Executables: thin shells around the libraries.
        .executableTarget(name: "JarvisFCGI", dependencies: ["JarvisAPI", "CFastCGI"], swiftSettings: settings),
        .executableTarget(name: "JarvisSSE",
                          dependencies: ["JarvisAPI", "JarvisStore", "Compose", .product(name: "Hummingbird", package: "hummingbird"),
                                         .product(name: "Metrics", package: "swift-metrics"),
                                         .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                                         .product(name: "HTTPTypes", package: "swift-http-types"),
                                         .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")],
                          swiftSettings: settings),
        .executableTarget(name: "jarvisctl",
                          dependencies: ["JarvisCore", "JarvisStore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: settings),

        .testTarget(name: "ScheduleTests", dependencies: ["Schedule"], swiftSettings: settings),
        .testTarget(name: "ComposeTests", dependencies: ["Compose"], resources: [.copy("Fixtures")], swiftSettings: settings),
        .testTarget(name: "DockerEngineTests", dependencies: ["DockerEngine"], swiftSettings: settings),
        .testTarget(name: "JarvisCoreTests", dependencies: ["JarvisCore", "JarvisStore", "Compose", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: settings),
        .testTarget(name: "JarvisAPITests", dependencies: ["JarvisAPI", "DockerEngine"], swiftSettings: settings),
    ]
)
