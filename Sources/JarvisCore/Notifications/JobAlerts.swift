import Foundation
import JarvisStore

/// Job-run events: a run that ends failed or timed out (after its retries: an attempt that will be retried is not
/// news yet), and a success whose job's previous outcome was a failure or a timeout (a recovery).
struct JobAlerts {
    let database: AppDatabase
    let notifier: Notifier

    /// The event a run ending in `state` is worth, given the state of the job's previous outcome; nil = none.
    static func kind(state: String, previousOutcome: String?) -> NotifyEventKind? {
        switch state {
        case "failed": return .jobFailed
        case "timed_out": return .jobTimedOut
        case "succeeded" where previousOutcome == "failed" || previousOutcome == "timed_out": return .jobRecovered
        default: return nil
        }
    }

    /// Called once the run's end is stored.
    func runEnded(job: JobRecord, run: JobRunRecord, state: String, exitCode: Int?, error: String?) {
        // Only the end that was stored: a run another process already ended (recovered as canceled) is not told.
        guard state == "failed" || state == "timed_out" || state == "succeeded",
              (try? database.jobRun(id: run.id))?.state == state else { return }
        let previous = state == "succeeded" ? (try? database.previousRunOutcome(jobID: job.id, excluding: run.id)) ?? nil : nil
        guard let kind = Self.kind(state: state, previousOutcome: previous) else { return }
        var fields = ["job": job.name, "job_id": String(job.id), "job_kind": job.kind, "run": String(run.id),
                      "attempt": String(run.attempt), "trigger": run.trigger]
        if let exitCode { fields["exit_code"] = String(exitCode) }
        if let error { fields["error"] = String(error.prefix(2000)) }
        if let previous { fields["previous"] = previous }
        let summary: String
        switch kind {
        case .jobRecovered: summary = "\(job.name) succeeded after a run that \(previous == "timed_out" ? "timed out" : "failed")"
        case .jobTimedOut: summary = "\(job.name) timed out on attempt \(run.attempt): \(error ?? "")"
        default: summary = "\(job.name) failed on attempt \(run.attempt): \(error ?? "")"
        }
        notifier.emit(kind, target: job.name, summary: summary, host: (job.hostID, job.hostName ?? String(job.hostID)), fields: fields)
    }
}
