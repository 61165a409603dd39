import Foundation

/// A one-line progress display for long jobs: count, rate and ETA, redrawn in place on a
/// terminal (standard error) and silent when standard error is not a terminal (piped, CI).
///
/// Libraries never print; they report through callbacks, and commands drive a `ProgressLine`.
/// Redraws are throttled to about ten per second so that fast loops pay almost nothing.
final class ProgressLine {
    private let label: String
    private let total: Int?
    private let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let enabled: Bool

    /// Creates a progress line for `label`, counting `unit`s up to `total` when known.
    init(_ label: String, total: Int? = nil, unit: String = "items", enabled: Bool? = nil) {
        self.label = label
        self.total = total
        self.unit = unit
        self.enabled = enabled ?? (isatty(STDERR_FILENO) == 1)
    }

    /// Reports that `done` units are finished; `detail` is appended (e.g. "loss 0.41").
    func update(_ done: Int, detail: String = "") {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + Self.describe(
            label: label, done: done, total: total, unit: unit,
            elapsed: now.timeIntervalSince(start), detail: detail)).utf8))
    }

    /// Ends the line (moves to the next line on a terminal).
    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// The text of one progress line; pure, so tests can check it exactly.
    static func describe(label: String, done: Int, total: Int?, unit: String,
                         elapsed: TimeInterval, detail: String = "") -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var text = "\(label): \(done)"
        if let total { text += "/\(total)" }
        text += " \(unit), \(String(format: "%.1f", rate))/s"
        if let total, rate > 0, done < total {
            text += ", ETA \(formatDuration(Double(total - done) / rate))"
        }
        if !detail.isEmpty { text += ", " + detail }
        return text
    }

    /// Formats seconds as `1h02m`, `3m05s` or `42s`.
    static func formatDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
