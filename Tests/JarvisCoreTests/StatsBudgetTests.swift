import Foundation
@testable import JarvisCore
import XCTest

/// The stats budget spreads calls of every host's sampler over time.
final class StatsBudgetTests: XCTestCase {
    func testCallsPastTheRateWaitForTheirSlot() async {
        let budget = StatsBudget(perSecond: 50)
        let started = Date()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<11 { group.addTask { await budget.take() } }
        }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.19, "11 calls at 50/s span 200 ms")
    }

    func testNoLimitNeverWaits() async {
        let budget = StatsBudget(perSecond: 0)
        let started = Date()
        for _ in 0..<1000 { await budget.take() }
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5)
    }
}
