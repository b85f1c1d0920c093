import DockerEngine
import Foundation
@testable import JarvisCore
import JarvisStore
import XCTest

/// What the engine holds for the references a request names.
private struct EngineState: HostReferences, @unchecked Sendable {
    var containers: [String: [String: Any]] = [:]
    var volumes: [String: [String: Any]] = [:]
    var networks: [String: [String: Any]] = [:]
    func container(_ id: String) async throws -> [String: Any]? { containers[id] }
    func volume(_ name: String) async throws -> [String: Any]? { volumes[name] }
    func network(_ name: String) async throws -> [String: Any]? { networks[name] }
}

final class HostAccessRulesTests: XCTestCase {
    private var stack = ""
    private var state = EngineState()

    override func setUpWithError() throws {
        stack = NSTemporaryDirectory() + "jarvis-policy-\(UUID().uuidString)/web"
        try FileManager.default.createDirectory(atPath: stack + "/data", withIntermediateDirectories: true)
        try "services: {}\n".write(toFile: stack + "/compose.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: stack + "/data/escape", withDestinationPath: "/etc")
        state.volumes = [
            "plain": ["Name": "plain", "Driver": "local", "Options": NSNull()],
            "hostroot": ["Name": "hostroot", "Driver": "local", "Options": ["type": "none", "o": "bind", "device": "/"]],
            "ram": ["Name": "ram", "Driver": "local", "Options": ["type": "tmpfs", "device": "tmpfs", "o": "size=10m"]],
            "nfs": ["Name": "nfs", "Driver": "rexray", "Options": [:] as [String: Any]],
        ]
        state.containers = [
            "hostnet": ["HostConfig": ["NetworkMode": "host"], "Mounts": [] as [Any]],
            "powerful": ["HostConfig": ["Privileged": true, "NetworkMode": "bridge"], "Mounts": [] as [Any]],
            "sidecar": ["HostConfig": ["NetworkMode": "container:hostnet"], "Mounts": [] as [Any]],
            "vpn": ["HostConfig": ["NetworkMode": "bridge", "CapAdd": ["NET_BIND_SERVICE"], "CgroupnsMode": "host", "IpcMode": "private"], "Mounts": [] as [Any]],
            "mountsroot": ["HostConfig": [:] as [String: Any], "Mounts": [["Type": "bind", "Source": "/", "RW": true]]],
            "mountsdata": ["HostConfig": [:] as [String: Any], "Mounts": [["Type": "volume", "Name": "plain", "RW": true]]],
        ]
        state.networks = ["0123abcd": ["Name": "host", "Driver": "host"], "front": ["Name": "front", "Driver": "bridge"],
                          "lan": ["Name": "lan", "Driver": "macvlan"]]
    }

    private func judge(_ host: [String: Any], body: [String: Any] = [:], inStack: Bool = true) async throws -> [String] {
        let actor = EngineActor(userID: nil, username: "op", role: .operator_, bindRoot: inStack ? stack : nil,
                                readOnlyRoots: ["/var/lib/jarvis/stacks/web"])
        var container = body
        container["Image"] = "busybox"
        container["HostConfig"] = host
        return try await HostAccessRules(actor: actor, references: state).judge(.container(container))
    }

    /// Every setting that reaches the host, one row each: refused for an operator, naming the key.
    func testEachHostReachingSettingIsRefusedNamingIt() async throws {
        let table: [(String, [String: Any])] = [
            ("Binds[0]", ["Binds": ["/:/host"]]),
            ("Binds[0]", ["Binds": ["\(stack)/../:/up"]]),
            ("Binds[0]", ["Binds": ["\(stack)/data/escape:/etc-of-host"]]),
            ("Binds[0]", ["Binds": ["\(stack):/app"]]),
            ("Binds[0]", ["Binds": ["\(stack)/compose.yaml:/c"]]),
            ("Binds[0]", ["Binds": ["hostroot:/data"]]),
            ("Binds[0]", ["Binds": ["nfs:/data"]]),
            ("Mounts[0]", ["Mounts": [["Type": "bind", "Source": "/var/run/docker.sock", "Target": "/s"]]]),
            ("Mounts[0]", ["Mounts": [["Type": "volume", "Source": "fresh", "Target": "/d",
                                       "VolumeOptions": ["DriverConfig": ["Name": "local", "Options": ["type": "none", "o": "bind", "device": "/etc"]]]]]]),
            ("Mounts[0]", ["Mounts": [["Type": "npipe", "Source": "x", "Target": "/y"]]]),
            ("Privileged", ["Privileged": true]),
            ("CapAdd", ["CapAdd": ["SYS_ADMIN"]]),
            ("CapAdd", ["CapAdd": ["ALL"]]),
            ("Devices", ["Devices": [["PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"]]]),
            ("DeviceCgroupRules", ["DeviceCgroupRules": ["c *:* rwm"]]),
            ("DeviceRequests", ["DeviceRequests": [["Driver": "nvidia", "Count": -1]]]),
            ("NetworkMode", ["NetworkMode": "host"]),
            ("NetworkMode", ["NetworkMode": "0123abcd"]),
            ("NetworkMode", ["NetworkMode": "lan"]),
            ("NetworkMode", ["NetworkMode": "container:hostnet"]),
            ("NetworkMode", ["NetworkMode": "container:powerful"]),
            ("NetworkMode", ["NetworkMode": "container:sidecar"]),
            ("PidMode", ["PidMode": "host"]),
            ("PidMode", ["PidMode": "container:powerful"]),
            ("IpcMode", ["IpcMode": "host"]),
            ("UTSMode", ["UTSMode": "host"]),
            ("UsernsMode", ["UsernsMode": "host"]),
            ("CgroupnsMode", ["CgroupnsMode": "host"]),
            ("VolumesFrom[0]", ["VolumesFrom": ["mountsroot"]]),
            ("SecurityOpt", ["SecurityOpt": ["apparmor=unconfined"]]),
            ("SecurityOpt", ["SecurityOpt": ["seccomp=unconfined"]]),
            ("Sysctls", ["Sysctls": ["kernel.core_pattern": "|/tmp/x"]]),
            ("CgroupParent", ["CgroupParent": "/"]),
            ("Runtime", ["Runtime": "nvidia"]),
            ("VolumeDriver", ["VolumeDriver": "rexray"]),
            ("LogConfig.Type", ["LogConfig": ["Type": "syslog", "Config": ["syslog-address": "udp://10.0.0.1:514"]]]),
            ("ContainerIDFile", ["ContainerIDFile": "/etc/cron.d/x"]),
            ("MaskedPaths", ["MaskedPaths": [] as [Any]]),
            ("ReadonlyPaths", ["ReadonlyPaths": [] as [Any]]),
            ("Annotations", ["Annotations": ["io.kubernetes.cri-o.Devices": "/dev/sda"]]),
            ("BrandNewHostKey", ["BrandNewHostKey": ["anything": 1]]),
        ]
        for (key, host) in table {
            let findings = try await judge(host)
            XCTAssertTrue(findings.contains { $0.hasPrefix("HostConfig.\(key)") }, "\(host) should be refused on \(key): \(findings)")
        }
        let escape = try await judge(["Binds": ["\(stack)/data/escape:/x:ro"]])
        XCTAssertTrue(escape.first?.contains("(/etc)") == true, "the resolved target is named: \(escape)")
    }

    /// What a stack or a form legitimately uses passes.
    func testOrdinarySettingsPass() async throws {
        let allowed: [[String: Any]] = [
            ["Binds": ["\(stack)/data:/data", "\(stack)/data/new/sub:/new", "\(stack):/app:ro", "\(stack)/compose.yaml:/c:ro",
                       "plain:/v", "ram:/tmp/r", "notyet:/n"]],
            ["Binds": ["/var/lib/jarvis/stacks/web/app_config:/etc/app.conf:ro"]],
            ["Mounts": [["Type": "tmpfs", "Target": "/run"], ["Type": "volume", "Source": "", "Target": "/anon"],
                        ["Type": "bind", "Source": "\(stack)/data", "Target": "/d", "ReadOnly": false]]],
            ["NetworkMode": "front"], ["NetworkMode": "bridge"], ["NetworkMode": "none"], ["NetworkMode": "container:vpn"],
            ["IpcMode": "shareable"], ["PidMode": "container:vpn"], ["VolumesFrom": ["mountsdata:ro"]],
            ["CapAdd": ["NET_BIND_SERVICE", "cap_chown"], "CapDrop": ["ALL"]],
            ["SecurityOpt": ["no-new-privileges:true"]], ["Sysctls": ["net.core.somaxconn": "1024", "kernel.shmmax": "1"]],
            ["LogConfig": ["Type": "json-file", "Config": ["max-size": "10m"]]], ["Runtime": "runc"],
            ["Memory": 1 << 30, "NanoCpus": 500_000_000, "PortBindings": ["80/tcp": [["HostPort": "8080"]]],
             "RestartPolicy": ["Name": "unless-stopped"], "Privileged": false, "Devices": [] as [Any], "Init": true],
        ]
        for host in allowed {
            let findings = try await judge(host)
            XCTAssertEqual(findings, [], "\(host)")
        }
    }

    func testTheContainerFormHasNoFolderForBinds() async throws {
        let findings = try await judge(["Binds": ["\(stack)/data:/data"]], inStack: false)
        XCTAssertEqual(findings.count, 1, "\(findings)")
        XCTAssertTrue(findings[0].contains("host path"), findings[0])
    }

    func testContainerLevelKeysAndForgedComposeLabels() async throws {
        let forged = try await judge([:], body: ["Labels": ["com.docker.compose.project": "x",
                                                            "com.docker.compose.project.working_dir": "/etc"]])
        XCTAssertTrue(forged.contains { $0.contains("working_dir") }, "\(forged)")
        let own = try await judge([:], body: ["Labels": ["com.docker.compose.project.working_dir": stack,
                                                         "com.docker.compose.project.config_files": stack + "/compose.yaml"]])
        XCTAssertEqual(own, [])
        let hostEndpoint = try await judge([:], body: ["NetworkingConfig": ["EndpointsConfig": ["host": [:] as [String: Any]]]])
        XCTAssertTrue(hostEndpoint.contains { $0.hasPrefix("NetworkingConfig.EndpointsConfig.host") }, "\(hostEndpoint)")
        let unknown = try await judge([:], body: ["SomethingNew": true])
        XCTAssertTrue(unknown.contains { $0.hasPrefix("SomethingNew") }, "\(unknown)")
    }

    func testVolumesNetworksExecsUpdatesAndBuilds() async throws {
        let rules = HostAccessRules(actor: EngineActor(userID: nil, username: "op", role: .operator_), references: state)
        let refused: [JudgedRequest] = [
            .volume(["Name": "v", "Driver": "local", "DriverOpts": ["type": "none", "o": "bind", "device": "/"]]),
            .volume(["Name": "v", "DriverOpts": ["device": "/dev/sda1", "type": "ext4"]]),
            .volume(["Name": "v", "Driver": "sshfs"]),
            .network(["Name": "n", "Driver": "macvlan", "Options": ["parent": "eth0"]]),
            .network(["Name": "n", "Options": ["com.docker.network.bridge.name": "docker0"]]),
            .network(["Name": "n", "ConfigFrom": ["Network": "x"]]),
            .exec(["Cmd": ["sh"], "Privileged": true]),
            .update(["Devices": [["PathOnHost": "/dev/mem"]]]),
            .build([("networkmode", "host")]),
            .build([("cgroupparent", "/")]),
            .adminOnly("/plugins/pull"),
        ]
        for request in refused {
            let findings = try await rules.judge(request)
            XCTAssertFalse(findings.isEmpty, "\(request)")
        }
        let allowed: [JudgedRequest] = [
            .volume(["Name": "v", "Labels": ["a": "b"]]), .volume(["Name": "v", "DriverOpts": ["type": "tmpfs", "device": "tmpfs", "o": "size=1m"]]),
            .network(["Name": "n", "Driver": "bridge", "Internal": true, "IPAM": ["Config": [["Subnet": "10.9.0.0/24"]]]]),
            .exec(["Cmd": ["sh"], "Tty": true, "User": "root"]), .update(["Memory": 1 << 28, "RestartPolicy": ["Name": "always"]]),
            .build([("t", "x:1"), ("networkmode", "default"), ("version", "1")]),
        ]
        for request in allowed {
            let findings = try await rules.judge(request)
            XCTAssertEqual(findings, [], "\(request)")
        }
    }

    func testJudgedRequestsAreFoundByMethodAndPath() {
        func kind(_ method: String, _ path: String) -> String? {
            JudgedRequest(EngineRequest(method, path, body: Array("{}".utf8))).map { "\($0)".components(separatedBy: "(").first! }
        }
        XCTAssertEqual(kind("POST", "/containers/create"), "container")
        XCTAssertEqual(kind("POST", "/containers/abc/exec"), "exec")
        XCTAssertEqual(kind("POST", "/containers/abc/update"), "update")
        XCTAssertEqual(kind("POST", "/volumes/create"), "volume")
        XCTAssertEqual(kind("POST", "/networks/create"), "network")
        XCTAssertEqual(kind("POST", "/build"), "build")
        XCTAssertEqual(kind("POST", "/plugins/pull"), "adminOnly")
        XCTAssertEqual(kind("POST", "/swarm/init"), "adminOnly")
        XCTAssertNil(kind("POST", "/containers/abc/start"))
        XCTAssertNil(kind("GET", "/containers/json"))
        XCTAssertNil(kind("POST", "/images/create"))
    }
}

final class HostAccessPolicyTests: XCTestCase {
    private let privileged = EngineRequest("POST", "/containers/create",
                                           body: Array(#"{"Image":"busybox","HostConfig":{"Privileged":true}}"#.utf8))

    private func database() throws -> AppDatabase {
        try AppDatabase(path: NSTemporaryDirectory() + "jarvis-policy-\(UUID().uuidString).db")
    }

    private func admit(_ policy: HostAccessPolicy, as actor: EngineActor?) async -> String? {
        let client = DockerClient(host: DockerHost(.unix(path: "/tmp/jarvis-policy-no-engine.sock")))
        do {
            try await HostAccess.acting(as: actor) { try await policy.admit(privileged, client: client) }
            return nil
        } catch let error as EngineError {
            XCTAssertEqual(error.code, .refused)
            return error.message
        } catch {
            return "\(error)"
        }
    }

    /// The role is the one in the store now, not the one the request or task started with.
    func testJudgesWithTheCurrentRoleAndRefusesWithoutAnActor() async throws {
        let database = try database()
        let policy = HostAccessPolicy(database: database)
        let admin = try database.createUser(username: "root-ish", passwordHash: "x", role: "admin")
        let actor = EngineActor(userID: admin.id, username: "root-ish", role: .admin)
        let allowed = await admit(policy, as: actor)
        XCTAssertNil(allowed)
        _ = try database.updateUser(id: admin.id!, role: "operator", disabled: nil)
        let demoted = await admit(policy, as: actor)
        XCTAssertTrue(demoted?.contains("HostConfig.Privileged") == true, demoted ?? "admitted")
        _ = try database.updateUser(id: admin.id!, role: "viewer", disabled: nil)
        let viewer = await admit(policy, as: actor)
        XCTAssertTrue(viewer?.contains("a viewer cannot") == true, viewer ?? "admitted")
        _ = try database.updateUser(id: admin.id!, role: nil, disabled: true)
        let disabled = await admit(policy, as: actor)
        XCTAssertTrue(disabled?.contains("disabled") == true, disabled ?? "admitted")
        let nobody = await admit(policy, as: nil)
        XCTAssertTrue(nobody?.contains("nobody's behalf") == true, nobody ?? "admitted")
    }
}
