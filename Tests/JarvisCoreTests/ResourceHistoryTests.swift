import Foundation
import JarvisCore
import JarvisStore
import XCTest

/// The history behind the charts: rates from counters, averages per tier, the host's sum,
/// and rings that stay bounded however long Jarvis runs.
final class ResourceHistoryTests: XCTestCase {
    private func sample(_ id: String, cpu: Double?, memory: Int64?, rx: UInt64?, read: UInt64? = nil) -> ResourceSample {
        ResourceSample(containerID: id, cpu: cpu, memory: memory, memoryLimit: 1000, rxTotal: rx, txTotal: rx.map { $0 / 2 },
                       readTotal: read, writeTotal: nil)
    }

    private func point(_ points: [ResourcePoint], _ id: String, _ tier: ResourceTier) -> ResourcePoint? {
        points.first { $0.containerID == id && $0.step == tier.rawValue }
    }

    func testCountersBecomeRatesAndEveryTierAveragesItsSamples() {
        var recorder = ResourceHistoryRecorder()
        let first = recorder.record([sample("a", cpu: nil, memory: 100, rx: 1000, read: 0)], at: 6000)
        XCTAssertNil(point(first, "a", .tenSeconds)?.rx, "one sample is not a rate")
        XCTAssertEqual(point(first, "a", .tenSeconds)?.memory, 100)
        let second = recorder.record([sample("a", cpu: 20, memory: 300, rx: 11000, read: 5000)], at: 6010)
        let ten = point(second, "a", .tenSeconds)!
        XCTAssertEqual(ten.at, 6010)
        XCTAssertEqual(ten.rx, 1000, "10,000 bytes in 10 s")
        XCTAssertEqual(ten.tx, 500)
        XCTAssertEqual(ten.read, 500)
        XCTAssertNil(ten.write, "the engine gave no write counter")
        let minute = point(second, "a", .minute)!
        XCTAssertEqual(minute.at, 6000)
        XCTAssertEqual(minute.memory, 200, "the minute's average of 100 and 300")
        XCTAssertEqual(minute.memoryMax, 300)
        XCTAssertEqual(minute.cpu, 20, "a sample without CPU does not count as 0 %")
        XCTAssertEqual(point(second, "a", .tenMinutes)?.at, 6000)
    }

    func testARestartedCounterStartsAgainInsteadOfGoingNegative() {
        var recorder = ResourceHistoryRecorder()
        _ = recorder.record([sample("a", cpu: 1, memory: 1, rx: 50000)], at: 100)
        let after = recorder.record([sample("a", cpu: 1, memory: 1, rx: 10)], at: 110)
        XCTAssertNil(point(after, "a", .tenSeconds)?.rx)
        let next = recorder.record([sample("a", cpu: 1, memory: 1, rx: 1010)], at: 120)
        XCTAssertEqual(point(next, "a", .tenSeconds)?.rx, 100)
    }

    func testTheHostPointSumsItsContainersAndAnIdleHostIsZero() {
        var recorder = ResourceHistoryRecorder()
        _ = recorder.record([sample("a", cpu: nil, memory: 100, rx: 0), sample("b", cpu: nil, memory: 50, rx: 0)], at: 1000)
        let round = recorder.record([sample("a", cpu: 30, memory: 100, rx: 1000), sample("b", cpu: 12.5, memory: 50, rx: 3000)], at: 1010)
        let host = point(round, "", .tenSeconds)!
        XCTAssertEqual(host.cpu, 42.5)
        XCTAssertEqual(host.memory, 150)
        XCTAssertEqual(host.rx, 400)
        XCTAssertNil(host.memoryLimit, "the sum of containers has no limit of its own")
        let idle = recorder.record([], at: 1020)
        XCTAssertEqual(idle.count, ResourceTier.allCases.count, "only the host's points")
        XCTAssertEqual(point(idle, "", .tenSeconds)?.cpu, 0)
        XCTAssertEqual(point(idle, "", .tenSeconds)?.memory, 0)
    }

    func testTheRingsKeepAtMostOneSpanOfPointsAndReadBackInOrder() throws {
        let database = try AppDatabase(path: NSTemporaryDirectory() + "jarvis-history-\(UUID().uuidString)/jarvis.db")
        var recorder = ResourceHistoryRecorder()
        let start: Int64 = 1_800_000_000
        // Two hours of 10 s samples: the 10 s ring holds the last hour only.
        for round in 0..<720 {
            let at = start + Int64(round * 10)
            try database.saveResourcePoints(hostID: HostRecord.localID,
                                            recorder.record([sample("c1", cpu: Double(round % 7), memory: Int64(round), rx: UInt64(round * 100))],
                                                            at: Double(at)), seenAt: at)
        }
        let end = start + 7190
        let all = try database.resourceHistory(hostID: HostRecord.localID, containerID: "c1", tier: .tenSeconds, since: 0)
        XCTAssertEqual(all.count, ResourceTier.tenSeconds.points, "the ring overwrote the first hour")
        XCTAssertEqual(all.first?.at, end - 3590)
        XCTAssertEqual(all.last?.at, end)
        XCTAssertEqual(all.map(\.at), all.map(\.at).sorted())
        let quarter = try database.resourceHistory(hostID: HostRecord.localID, containerID: "c1", tier: .tenSeconds, since: end - 899)
        XCTAssertEqual(quarter.count, 90)
        let minutes = try database.resourceHistory(hostID: HostRecord.localID, containerID: "c1", tier: .minute, since: 0)
        XCTAssertEqual(minutes.count, 120)
        XCTAssertEqual(minutes.last?.memory, (714 + 715 + 716 + 717 + 718 + 719) / 6)
        XCTAssertEqual(try database.resourceHistory(hostID: HostRecord.localID, containerID: "", tier: .minute, since: 0).count, 120)
        // A target not seen for longer than the longest span goes with its points.
        XCTAssertEqual(try database.forgetResourceTargets(seenBefore: end + 1), 2)
        XCTAssertTrue(try database.resourceHistory(hostID: HostRecord.localID, containerID: "c1", tier: .minute, since: 0).isEmpty)
    }
}
