import Foundation
import JarvisStore

extension HostService {
    /// Lists no mirror keeps (images, stacks) across hosts: every online host is asked at once, each
    /// within `seconds`; hosts that are offline or too slow are named instead of holding the answer.
    func fromEveryHost<Item: Sendable>(seconds: Double = 10,
                                       _ body: @escaping @Sendable (HostServices) async throws -> [Item]) async throws -> (items: [Item], skipped: [String]) {
        let hosts = try database.hosts()
        var skipped = hosts.filter { $0.state == "offline" }.map(\.name)
        let asked = try hosts.filter { $0.state != "offline" }.map { try registry.services($0) }
        var items: [Item] = []
        await withTaskGroup(of: (String, [Item]?).self) { group in
            for host in asked {
                group.addTask {
                    let answer = await withTaskGroup(of: [Item]?.self) { race in
                        race.addTask { try? await body(host) }
                        race.addTask { try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000)); return nil }
                        let first = await race.next() ?? nil
                        race.cancelAll()
                        return first
                    }
                    return (host.name, answer)
                }
            }
            for await (name, answer) in group {
                if let answer { items += answer } else { skipped.append(name) }
            }
        }
        return (items, skipped.sorted())
    }

    /// Images of every host, each with its host, filtered and paged like one host's list.
    public func images(_ query: ImageQuery) async throws -> Page<ImageView> {
        var every = query
        every.page = 1
        every.pageSize = 1_000_000
        let all = every
        let (items, skipped) = try await fromEveryHost { host in
            try await host.images.list(all).items.map { image in
                var view = image
                view.host = host.name
                return view
            }
        }
        let sorted = items.sorted { ($0.tags.first ?? "~" + $0.id, $0.host ?? "") < ($1.tags.first ?? "~" + $1.id, $1.host ?? "") }
        let start = min((query.page - 1) * query.pageSize, sorted.count)
        var page = Page(items: Array(sorted[start..<min(start + query.pageSize, sorted.count)]), total: sorted.count,
                        page: query.page, pageSize: query.pageSize, source: "engines")
        page.skippedHosts = skipped
        return page
    }

    /// Stacks of every host, each with its host.
    public func stacks() async throws -> (items: [StackSummary], skipped: [String]) {
        let (items, skipped) = try await fromEveryHost { host in
            try await host.stacks.list().map { stack in
                var summary = stack
                summary.host = host.name
                return summary
            }
        }
        return (items.sorted { ($0.name, $0.host ?? "") < ($1.name, $1.host ?? "") }, skipped)
    }
}
