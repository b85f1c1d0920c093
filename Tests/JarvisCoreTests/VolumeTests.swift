import DockerEngine
import Foundation
@testable import JarvisCore
import XCTest

/// The pure parts of volumes: path confinement, create validation, the tar reader and the upload check.
final class VolumeTests: XCTestCase {
    func testPathsStayInsideTheVolume() throws {
        XCTAssertEqual(try VolumePath(nil).inContainer, "/volume")
        XCTAssertEqual(try VolumePath("/").description, "/")
        XCTAssertEqual(try VolumePath("//logs///app/").components, ["logs", "app"])
        XCTAssertEqual(try VolumePath("logs/app").inContainer, "/volume/logs/app")
        XCTAssertEqual(try VolumePath("a/b/c").prefixes.map(\.description), ["/a", "/a/b", "/a/b/c"])
        for bad in ["..", "/..", "../etc", "a/../../etc", "a/./b", "/volume/../..", "a\0b"] {
            XCTAssertThrowsError(try VolumePath(bad), bad) { error in
                XCTAssertEqual((error as? JarvisError)?.field, "path", bad)
                XCTAssertEqual((error as? JarvisError)?.status, 400, bad)
            }
        }
        XCTAssertThrowsError(try VolumePath(String(repeating: "a", count: 256)))
        // Names that only look like escapes are ordinary names.
        XCTAssertEqual(try VolumePath("...").components, ["..."])
        XCTAssertEqual(try VolumePath("..hidden").components, ["..hidden"])
    }

    func testCreateValidationNamesTheField() {
        func field(_ request: VolumeCreateRequest) -> String? {
            do { _ = try VolumeSpec.validate(request); return nil } catch { return (error as? JarvisError)?.field }
        }
        XCTAssertEqual(field(.init(name: "../etc")), "name")
        XCTAssertEqual(field(.init(name: "x")), "name")
        XCTAssertEqual(field(.init(name: "-leading")), "name")
        XCTAssertEqual(field(.init(name: "ok", driver: "bad driver")), "driver")
        XCTAssertEqual(field(.init(name: "ok", labels: ["a=b": "c"])), "labels")
        XCTAssertEqual(field(.init(name: "ok", mount: .init(type: "tmpfs", size: "10 GB"))), "mount.size")
        XCTAssertEqual(field(.init(name: "ok", mount: .init(type: "tmpfs", mode: "999"))), "mount.mode")
        XCTAssertEqual(field(.init(name: "ok", mount: .init(type: "bind", path: "/srv/../etc"))), "mount.path")
        XCTAssertEqual(field(.init(name: "ok", mount: .init(type: "bind", path: "relative"))), "mount.path")
        XCTAssertEqual(field(.init(name: "ok", mount: .init(type: "nfs", path: "/x", address: "a,b"))), "mount.address")
        XCTAssertEqual(field(.init(name: "ok", mount: .init(type: "nfs", path: "/x", address: "10.0.0.1", options: "bind"))), "mount.options")
        XCTAssertEqual(field(.init(name: "ok", mount: .init(type: "cifs", share: "server/share"))), "mount.share")
        XCTAssertEqual(field(.init(name: "ok", mount: .init(type: "cifs", share: "//s/x", password: "a,uid=0"))), "mount.password")
        XCTAssertEqual(field(.init(name: "ok", mount: .init(type: "zfs"))), "mount.type")
        XCTAssertEqual(field(.init(name: "ok", driverOpts: ["type": "tmpfs"], mount: .init(type: "tmpfs"))), "mount")
        XCTAssertEqual(field(.init(name: "ok", driver: "rexray", mount: .init(type: "tmpfs"))), "mount")
    }

    func testHelpersFillInTheLocalDriverOptions() throws {
        let tmpfs = try VolumeSpec.validate(.init(name: "ram", mount: .init(type: "tmpfs", size: "64m", mode: "1777")))
        XCTAssertEqual(tmpfs.options, ["type": "tmpfs", "device": "tmpfs", "o": "size=64m,mode=1777"])
        XCTAssertFalse(tmpfs.bindsHostFolder)
        let nfs = try VolumeSpec.validate(.init(name: "share", mount: .init(type: "nfs", path: "/export", address: "nas.lan", options: "nfsvers=4")))
        XCTAssertEqual(nfs.options, ["type": "nfs", "o": "addr=nas.lan,nfsvers=4", "device": ":/export"])
        let cifs = try VolumeSpec.validate(.init(name: "smb", mount: .init(type: "cifs", share: "//fs/docs", username: "ann", password: "pw")))
        XCTAssertEqual(cifs.options["o"], "addr=fs,username=ann,password=pw")
        XCTAssertEqual(VolumeSpec.masked(cifs.options)["o"], "addr=fs,username=ann,password=••••")
        let bind = try VolumeSpec.validate(.init(name: "srv", mount: .init(type: "bind", path: "/srv/data")))
        XCTAssertEqual(bind.options, ["type": "none", "o": "bind", "device": "/srv/data"])
        XCTAssertTrue(bind.bindsHostFolder)
        let sneaky = try VolumeSpec.validate(.init(name: "srv2", driverOpts: ["type": "none", "o": "ro,rbind", "device": "/"]))
        XCTAssertTrue(sneaky.bindsHostFolder, "a bind written as free options is a bind too")
    }

    /// The engine door refuses an operator every local volume that mounts something of the host's.
    func testTheHostAccessPolicyRefusesOperatorsHostBindsAndDevices() async throws {
        struct NoReferences: HostReferences {
            func container(_ id: String) async throws -> [String: Any]? { nil }
            func volume(_ name: String) async throws -> [String: Any]? { nil }
            func network(_ name: String) async throws -> [String: Any]? { nil }
        }
        let rules = HostAccessRules(actor: EngineActor(userID: nil, username: "op", role: .operator_), references: NoReferences())
        for request in [VolumeCreateRequest(name: "b1", mount: .init(type: "bind", path: "/etc")),
                        VolumeCreateRequest(name: "b2", driverOpts: ["type": "ext4", "device": "/dev/sda1"]),
                        VolumeCreateRequest(name: "b3", mount: .init(type: "nfs", path: "/x", address: "127.0.0.1"))] {
            let findings = try await rules.judge(.volume(try VolumeSpec.validate(request).body))
            XCTAssertFalse(findings.isEmpty, request.name)
        }
        let ram = try VolumeSpec.validate(.init(name: "ram", mount: .init(type: "tmpfs", size: "8m")))
        let ramFindings = try await rules.judge(.volume(ram.body))
        XCTAssertEqual(ramFindings, [])
        let plainFindings = try await rules.judge(.volume(try VolumeSpec.validate(.init(name: "plain")).body))
        XCTAssertEqual(plainFindings, [])
    }

    func testTheTarScannerReadsHeadersAcrossAnyChunkSizes() throws {
        var archive = TarWriter.header(name: "top/", size: 0, mode: 0o755, type: UInt8(ascii: "5"))
        let contents = [UInt8](repeating: 7, count: 1000)
        archive += TarWriter.header(name: "top/a.bin", size: 1000, mode: 0o600) + contents + TarWriter.padding(1000)
        // A PAX record giving a long name, as Go's archive/tar writes for the engine.
        let long = "top/" + String(repeating: "n", count: 150)
        let record = "path=\(long)\n"
        var length = record.utf8.count + 3
        if "\(length) \(record)".utf8.count != length { length += 1 }
        let pax = Array("\(length) \(record)".utf8)
        archive += TarWriter.header(name: "PaxHeader", size: Int64(pax.count), mode: 0o644, type: UInt8(ascii: "x")) + pax + TarWriter.padding(Int64(pax.count))
        archive += TarWriter.header(name: "short", size: 3, mode: 0o644) + Array("abc".utf8) + TarWriter.padding(3)
        archive += TarWriter.header(name: "top/link", size: 0, mode: 0o777, type: UInt8(ascii: "2"))
        archive += TarWriter.end
        for chunkSize in [1, 7, 511, 512, 513, 4096, archive.count] {
            var scanner = TarScanner()
            var entries: [TarEntry] = []
            var offset = 0
            while offset < archive.count {
                entries += try scanner.feed(archive[offset..<min(offset + chunkSize, archive.count)])
                offset += chunkSize
            }
            XCTAssertTrue(scanner.finished)
            XCTAssertEqual(entries.map(\.name), ["top/", "top/a.bin", long, "top/link"], "chunks of \(chunkSize)")
            XCTAssertEqual(entries.map(\.kind), [.directory, .file, .file, .symlink])
            XCTAssertEqual(entries[1].size, 1000)
            XCTAssertEqual(entries[1].mode, 0o600)
        }
        var damaged = archive
        damaged[10] ^= 0xFF
        var scanner = TarScanner()
        XCTAssertThrowsError(try scanner.feed(damaged))
    }

    func testUploadedArchivesMayNotClimbOut() {
        func entry(_ name: String, _ kind: TarEntry.Kind = .file, link: String? = nil) -> TarEntry {
            TarEntry(name: name, kind: kind, size: 0, mode: 0o644, mtime: 0, linkTarget: link)
        }
        XCTAssertNil(VolumeBrowser.escapes(entry("site/index.html")))
        XCTAssertNil(VolumeBrowser.escapes(entry("site/current", .symlink, link: "../site/v2")))
        XCTAssertNotNil(VolumeBrowser.escapes(entry("/etc/passwd")))
        XCTAssertNotNil(VolumeBrowser.escapes(entry("a/../../x")))
        XCTAssertNotNil(VolumeBrowser.escapes(entry("etc", .symlink, link: "/etc")))
        XCTAssertNotNil(VolumeBrowser.escapes(entry("a/up", .symlink, link: "../../..")))
        XCTAssertNotNil(VolumeBrowser.escapes(entry("h", .hardlink, link: "../outside")))
    }

    func testTheListFiltersSortsAndPages() {
        func view(_ name: String, driver: String = "local", size: Int64? = nil, users: [String] = [], stack: String? = nil,
                  labels: [String: String] = [:]) -> VolumeView {
            VolumeView(name: name, driver: driver, scope: "local", mountpoint: nil, labels: labels, options: [:], created: nil, size: size,
                       usedBy: users.map { VolumeUser(id: $0, name: $0, state: "running", running: true, destination: "/d", readOnly: false) },
                       dangling: users.isEmpty, stack: stack)
        }
        let views = [view("db", size: 300, users: ["postgres"], stack: "shop", labels: ["tier": "data"]), view("cache", driver: "tmpfs-x", size: 10),
                     view("logs", size: 50, stack: "shop")]
        var query = VolumeQuery()
        XCTAssertEqual(query.apply(views).items.map(\.name), ["cache", "db", "logs"])
        query.sort = .size
        query.descending = true
        XCTAssertEqual(query.apply(views).items.map(\.name), ["db", "logs", "cache"])
        query = VolumeQuery()
        query.dangling = true
        XCTAssertEqual(query.apply(views).items.map(\.name), ["cache", "logs"])
        query = VolumeQuery()
        query.stack = "shop"
        query.text = "postgres"
        XCTAssertEqual(query.apply(views).items.map(\.name), ["db"])
        query = VolumeQuery()
        query.labels = [("tier", "data")]
        XCTAssertEqual(query.apply(views).total, 1)
        query = VolumeQuery()
        query.pageSize = 2
        query.page = 2
        let page = query.apply(views)
        XCTAssertEqual(page.items.map(\.name), ["logs"])
        XCTAssertEqual(page.total, 3)
    }

    func testTheDiskUseSummaryCountsWhatEachCleanUpReclaims() throws {
        let json = """
        {"LayersSize": 1000,
         "Images": [{"Id": "a", "RepoTags": ["app:1"], "Size": 600, "SharedSize": 100, "Containers": 1},
                    {"Id": "b", "RepoTags": ["<none>:<none>"], "Size": 400, "SharedSize": 100, "Containers": 0}],
         "Containers": [{"Id": "c1", "State": "running", "SizeRw": 5}, {"Id": "c2", "State": "exited", "SizeRw": 7}],
         "Volumes": [{"Name": "used", "UsageData": {"Size": 50, "RefCount": 1}}, {"Name": "idle", "UsageData": {"Size": 20, "RefCount": 0}},
                     {"Name": "unknown", "UsageData": {"Size": -1, "RefCount": 0}}],
         "BuildCache": [{"ID": "x", "Size": 30, "InUse": false}, {"ID": "y", "Size": 40, "InUse": true}]}
        """
        let report = try JSONDecoder().decode(DiskUsageReport.self, from: Data(json.utf8))
        let summary = DiskUsageSummary(report: report, observedAt: 1, refreshing: false, error: nil)
        XCTAssertEqual(summary.images.size, 1000)
        XCTAssertEqual(summary.images.reclaimable, 300)
        XCTAssertEqual(summary.containers.reclaimableCount, 1)
        XCTAssertEqual(summary.containers.reclaimable, 7)
        XCTAssertEqual(summary.volumes.size, 70)
        XCTAssertEqual(summary.volumes.reclaimableCount, 2)
        XCTAssertEqual(summary.volumes.reclaimable, 20)
        XCTAssertEqual(summary.buildCache.reclaimable, 30)
    }
}
