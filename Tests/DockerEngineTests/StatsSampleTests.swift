@testable import DockerEngine
import Foundation
import XCTest

/// Memory as `docker stats` shows it: usage minus the inactive page cache, under both cgroup versions.
final class StatsSampleTests: XCTestCase {
    private func sample(_ json: String) throws -> ContainerStatsSample {
        try JSONDecoder().decode(ContainerStatsSample.self, from: Data(json.utf8))
    }

    func testCgroupV2SubtractsInactiveFile() throws {
        let stats = try sample(#"""
            {"memory_stats": {"usage": 10000, "limit": 50000, "stats": {"anon": 4000, "file": 6000, "inactive_file": 2500,
             "active_file": 3500, "pgfault": 12, "workingset_refault_anon": 0}},
             "cpu_stats": {"cpu_usage": {"total_usage": 900}, "system_cpu_usage": 100000, "online_cpus": 2}}
            """#)
        XCTAssertEqual(stats.memoryUsed, 7500)
        XCTAssertEqual(stats.memoryStats?.limit, 50000)
        XCTAssertEqual(stats.cpuCounters?.onlineCPUs, 2)
    }

    func testCgroupV1PrefersTotalInactiveFile() throws {
        let stats = try sample(#"{"memory_stats": {"usage": 10000, "stats": {"total_inactive_file": 1000, "inactive_file": 400, "cache": 3000}}}"#)
        XCTAssertEqual(stats.memoryUsed, 9000)
    }

    func testNoCountersKeepsTheUsage() throws {
        XCTAssertEqual(try sample(#"{"memory_stats": {"usage": 10000}}"#).memoryUsed, 10000)
        XCTAssertNil(try sample(#"{"memory_stats": {}}"#).memoryUsed)
    }
}
