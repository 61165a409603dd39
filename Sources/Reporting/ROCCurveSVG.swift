import Evaluation
import Foundation

/// ROC curves of several classes as one SVG image (`LineChartSVG`): a square plot from 0 to 1
/// on both axes with the chance diagonal dashed, a line per class, and a legend with each
/// class's AUC.
public struct ROCCurveSVG: Sendable {
    /// One curve to draw.
    public struct Series: Sendable {
        public var name: String
        public var curve: ROCCurve
        /// Shown in the legend; nil shows "undefined".
        public var auc: Double?

        public init(name: String, curve: ROCCurve, auc: Double?) {
            self.name = name
            self.curve = curve
            self.auc = auc
        }
    }

    public var title: String
    public var series: [Series]
    /// Classes named under the legend as having no curve.
    public var undefinedClasses: [String]
    /// Side of the square plot area in SVG pixels.
    public var plotSize: Double

    public init(title: String, series: [Series], undefinedClasses: [String] = [], plotSize: Double = 420) {
        self.title = title
        self.series = series
        self.undefinedClasses = undefinedClasses
        self.plotSize = plotSize
    }

    /// The curves of an evaluation's classes that have one; the others are listed as undefined.
    public init(title: String, evaluation: ClassificationEvaluation, plotSize: Double = 420) {
        self.init(
            title: title,
            series: evaluation.classes.compactMap { result in
                result.curve.map { Series(name: result.className, curve: $0, auc: result.auc.value) }
            },
            undefinedClasses: evaluation.classes.filter { $0.curve == nil }.map(\.className),
            plotSize: plotSize)
    }

    /// The chart this draws.
    public var chart: LineChartSVG {
        let chance = LineChartSVG.Series(name: "", points: [(0, 0), (1, 1)], dashed: true, colour: "#999999")
        let lines = series.map { entry in
            LineChartSVG.Series(
                name: "\(entry.name) (AUC \(entry.auc.map { String(format: "%.4f", $0) } ?? "undefined"))",
                points: zip(entry.curve.falsePositiveRates, entry.curve.truePositiveRates).map { ($0, $1) })
        }
        return LineChartSVG(
            title: title, xLabel: "False positive rate", yLabel: "True positive rate",
            xRange: 0...1, yRange: 0...1, series: [chance] + lines,
            footnote: undefinedClasses.isEmpty ? nil : "No curve (AUC undefined): \(undefinedClasses.joined(separator: ", "))",
            plotWidth: plotSize, plotHeight: plotSize)
    }

    /// The SVG document.
    public func render() -> String {
        chart.render()
    }

    /// Writes the SVG to `url` atomically.
    ///
    /// - Throws: `EvaluationError.cannotWrite` naming the file.
    public func write(to url: URL) throws {
        try chart.write(to: url)
    }
}
