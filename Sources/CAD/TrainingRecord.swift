import Foundation

/// What one epoch of training measured.
public struct EpochRecord: Codable, Equatable, Sendable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Optimizer steps taken so far (all epochs).
    public var steps: Int
    public var learningRate: Double
    /// Mean training loss over the epoch's batches.
    public var trainLoss: Double
    /// Mean validation loss (same loss function, no augmentation).
    public var validationLoss: Double
    /// AUC per class on the validation part; nil where undefined (no positives or negatives).
    public var validationAUC: [Double?]
    /// Mean of the defined AUCs.
    public var meanAUC: Double?
    /// Training images per second (forward, loss, backward, update, waiting for the loader;
    /// the run's first batch, which builds the primitives, excluded).
    public var imagesPerSecond: Double
    /// Wall-clock seconds of the epoch, validation included.
    public var seconds: Double
    /// Seconds of the timed training batches spent waiting for the loader's next batch: near 0
    /// when decoding keeps up with the engine. Absent in records written before it was measured.
    public var loaderWaitSeconds: Double?
}

/// Writing the per-epoch metrics: CSV, JSON and an SVG plot of the loss and AUC curves.
public enum TrainingReport {
    /// metrics.csv: one row per epoch; per-class AUC columns named after the classes; an
    /// undefined AUC is an empty field.
    public static func csv(_ records: [EpochRecord], classes: [String]) -> String {
        var lines = [(["epoch", "steps", "learning_rate", "train_loss", "validation_loss", "mean_auc", "images_per_second", "seconds",
                      "loader_wait_seconds"]
            + classes.map { "auc_\($0)" }).joined(separator: ",")]
        for r in records {
            let fields = [String(r.epoch), String(r.steps), format(r.learningRate), format(r.trainLoss), format(r.validationLoss),
                          r.meanAUC.map(format) ?? "", String(format: "%.2f", r.imagesPerSecond), String(format: "%.1f", r.seconds),
                          r.loaderWaitSeconds.map { String(format: "%.2f", $0) } ?? ""]
                + r.validationAUC.map { $0.map(format) ?? "" }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ value: Double) -> String { String(format: "%.6g", value) }

    /// metrics.json: {"classes": [...], "epochs": [EpochRecord...], "best_epoch": n}.
    public static func json(_ records: [EpochRecord], classes: [String], bestEpoch: Int?) throws -> Data {
        struct File: Encodable {
            var classes: [String]
            var bestEpoch: Int?
            var epochs: [EpochRecord]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(File(classes: classes, bestEpoch: bestEpoch, epochs: records))
    }

    /// curves.svg: training and validation loss (left axis) and validation mean AUC (right
    /// axis, 0.5–1) against the epoch; a standalone SVG file.
    public static func svg(_ records: [EpochRecord], title: String) -> String {
        let width = 640.0, height = 360.0, left = 60.0, right = 60.0, top = 40.0, bottom = 50.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let epochs = records.map { Double($0.epoch) }
        let maxEpoch = max(epochs.max() ?? 1, 2)
        let losses = records.flatMap { [$0.trainLoss, $0.validationLoss] }.filter(\.isFinite)
        let maxLoss = max((losses.max() ?? 1) * 1.1, 1e-6)
        func x(_ epoch: Double) -> Double { left + (epoch - 1) / (maxEpoch - 1) * plotWidth }
        func yLoss(_ loss: Double) -> Double { top + plotHeight * (1 - min(max(loss / maxLoss, 0), 1)) }
        func yAUC(_ auc: Double) -> Double { top + plotHeight * (1 - min(max((auc - 0.5) / 0.5, 0), 1)) }
        func polyline(_ points: [(Double, Double)], color: String, dashed: Bool = false) -> String {
            guard !points.isEmpty else { return "" }
            let text = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
            let marks = points.map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", $0.0, $0.1, color) }.joined()
            return "<polyline points=\"\(text)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 4\"" : "")/>" + marks
        }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(width / 2))" y="22" text-anchor="middle" font-size="14">\(escape(title))</text>
        <rect x="\(left)" y="\(top)" width="\(plotWidth)" height="\(plotHeight)" fill="none" stroke="#888"/>

        """
        for tick in 0 ... 4 {
            let fraction = Double(tick) / 4
            let y = top + plotHeight * (1 - fraction)
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", left, y, left + plotWidth, y)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>", left - 6, y + 4, maxLoss * fraction)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%.3f</text>\n", left + plotWidth + 6, y + 4, 0.5 + 0.5 * fraction)
        }
        let step = max(1, Int(maxEpoch) / 10)
        for epoch in stride(from: 1, through: Int(maxEpoch), by: step) {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>", x(Double(epoch)), top + plotHeight + 18, epoch)
        }
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">epoch</text>\n", left + plotWidth / 2, height - 10)
        svg += polyline(records.filter { $0.trainLoss.isFinite }.map { (x(Double($0.epoch)), yLoss($0.trainLoss)) }, color: "#1f77b4") + "\n"
        svg += polyline(records.filter { $0.validationLoss.isFinite }.map { (x(Double($0.epoch)), yLoss($0.validationLoss)) },
                        color: "#1f77b4", dashed: true) + "\n"
        svg += polyline(records.compactMap { r in r.meanAUC.map { (x(Double(r.epoch)), yAUC($0)) } }, color: "#d62728") + "\n"
        let legend = [("#1f77b4", "training loss", false), ("#1f77b4", "validation loss", true), ("#d62728", "validation mean AUC (right axis)", false)]
        for (index, entry) in legend.enumerated() {
            let y = top + 14 + Double(index) * 16
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"%@/>",
                          left + 10, y - 4, left + 34, y - 4, entry.0, entry.2 ? " stroke-dasharray=\"6 4\"" : "")
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%@</text>\n", left + 40, y, entry.1)
        }
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Writes metrics.csv, metrics.json and curves.svg into `directory`, each atomically.
    public static func write(_ records: [EpochRecord], classes: [String], bestEpoch: Int?, title: String, to directory: URL) throws {
        try Data(csv(records, classes: classes).utf8).write(to: directory.appendingPathComponent("metrics.csv"), options: .atomic)
        try json(records, classes: classes, bestEpoch: bestEpoch).write(to: directory.appendingPathComponent("metrics.json"), options: .atomic)
        try Data(svg(records, title: title).utf8).write(to: directory.appendingPathComponent("curves.svg"), options: .atomic)
    }
}
