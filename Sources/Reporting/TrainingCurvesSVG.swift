import Evaluation
import Foundation

/// A run's learning curves as one SVG image: training and validation loss (left axis) and the
/// validation mean AUC (right axis, 0.5–1) against the epoch, as `thorax train` writes them to
/// curves.svg. Non-finite losses and undefined AUCs leave their points out.
public struct TrainingCurvesSVG: Sendable {
    /// What one epoch measured.
    public struct Epoch: Sendable {
        /// 1-based.
        public var epoch: Int
        public var trainLoss: Double
        public var validationLoss: Double
        public var meanAUC: Double?

        public init(epoch: Int, trainLoss: Double, validationLoss: Double, meanAUC: Double?) {
            self.epoch = epoch
            self.trainLoss = trainLoss
            self.validationLoss = validationLoss
            self.meanAUC = meanAUC
        }
    }

    public var title: String
    public var epochs: [Epoch]

    public init(title: String, epochs: [Epoch]) {
        self.title = title
        self.epochs = epochs
    }

    /// The SVG document.
    public func render() -> String {
        let width = 640.0, height = 360.0, left = 60.0, right = 60.0, top = 40.0, bottom = 50.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let numbers = epochs.map { Double($0.epoch) }
        let maxEpoch = max(numbers.max() ?? 1, 2)
        let losses = epochs.flatMap { [$0.trainLoss, $0.validationLoss] }.filter(\.isFinite)
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
        <text x="\(Int(width / 2))" y="22" text-anchor="middle" font-size="14">\(Markup.escape(title))</text>
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
        svg += polyline(epochs.filter { $0.trainLoss.isFinite }.map { (x(Double($0.epoch)), yLoss($0.trainLoss)) }, color: "#1f77b4") + "\n"
        svg += polyline(epochs.filter { $0.validationLoss.isFinite }.map { (x(Double($0.epoch)), yLoss($0.validationLoss)) },
                        color: "#1f77b4", dashed: true) + "\n"
        svg += polyline(epochs.compactMap { r in r.meanAUC.map { (x(Double(r.epoch)), yAUC($0)) } }, color: "#d62728") + "\n"
        let legend = [("#1f77b4", "training loss", false), ("#1f77b4", "validation loss", true), ("#d62728", "validation mean AUC (right axis)", false)]
        for (index, entry) in legend.enumerated() {
            let y = top + 14 + Double(index) * 16
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"%@/>",
                          left + 10, y - 4, left + 34, y - 4, entry.0, entry.2 ? " stroke-dasharray=\"6 4\"" : "")
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%@</text>\n", left + 40, y, entry.1)
        }
        return svg + "</svg>\n"
    }

    /// Writes the SVG to `url` atomically.
    ///
    /// - Throws: `EvaluationError.cannotWrite` naming the file.
    public func write(to url: URL) throws {
        try Markup.writeAtomically(render(), to: url)
    }
}
