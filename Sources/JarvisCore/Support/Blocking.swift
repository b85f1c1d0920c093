import Foundation

/// Runs async work from a plain (non-cooperative) worker thread and waits for
/// it. Safe here because FastCGI workers are our own threads, never the pool's.
public enum Blocking {
    private final class Box<T>: @unchecked Sendable { var value: T? }

    public static func run<T>(_ body: @escaping @Sendable () async -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.value = await body()
            done.signal()
        }
        done.wait()
        return box.value!
    }
}
