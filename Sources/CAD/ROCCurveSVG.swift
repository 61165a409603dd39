import Foundation

/// ROC curves of several classes drawn as one SVG image: a square plot with the chance
/// diagonal, a polyline per class, and a legend with each class's AUC.
///
/// Plain SVG 1.1 text with no scripts, fonts or external references, so it can be written as a
/// `.svg` file or inlined in an HTML page. Names are XML-escaped.
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
    /// Side of the square plot area in SVG pixels; the image adds margins and the legend.
    public var plotSize: Double

    public init(title: String, series: [Series], plotSize: Double = 420) {
        self.title = title
        self.series = series
        self.plotSize = plotSize
    }

    /// The curves of an evaluation's classes that have one (undefined classes are listed in the
    /// legend's footnote instead).
    public init(title: String, evaluation: ClassificationEvaluation, plotSize: Double = 420) {
        self.init(title: title, series: evaluation.classes.compactMap { result in
            result.curve.map { Series(name: result.className, curve: $0, auc: result.auc.value) }
        }, plotSize: plotSize)
        undefinedClasses = evaluation.classes.filter { $0.curve == nil }.map(\.className)
    }

    /// Classes named below the legend as having no curve.
    public var undefinedClasses: [String] = []

    /// Distinct colours for up to 20 curves (Tableau 20); more curves reuse them.
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
        "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    ]

    /// The SVG document.
    public func render() -> String {
        let left = 60.0, top = 40.0, legendWidth = 260.0
        let lineHeight = 18.0
        let legendLines = Double(series.count + (undefinedClasses.isEmpty ? 0 : 1))
        let width = left + plotSize + 30 + legendWidth
        let height = max(top + plotSize + 50, top + legendLines * lineHeight + 20)
        let x = { (rate: Double) in left + rate * plotSize }
        let y = { (rate: Double) in top + (1 - rate) * plotSize }
        let c = Markup.coordinate
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(c(width))" height="\(c(height))" \
        viewBox="0 0 \(c(width)) \(c(height))" font-family="sans-serif" font-size="12">
        <title>\(Markup.escape(title))</title>
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(c(left))" y="24" font-size="14" font-weight="bold">\(Markup.escape(title))</text>

        """
        // Grid, ticks and axis labels.
        for step in 0...5 {
            let rate = Double(step) / 5
            let label = String(format: "%.1f", rate)
            svg += "<line x1=\"\(c(x(rate)))\" y1=\"\(c(y(0)))\" x2=\"\(c(x(rate)))\" y2=\"\(c(y(1)))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<line x1=\"\(c(x(0)))\" y1=\"\(c(y(rate)))\" x2=\"\(c(x(1)))\" y2=\"\(c(y(rate)))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(c(x(rate)))\" y=\"\(c(y(0) + 16))\" text-anchor=\"middle\">\(label)</text>\n"
            svg += "<text x=\"\(c(x(0) - 6))\" y=\"\(c(y(rate) + 4))\" text-anchor=\"end\">\(label)</text>\n"
        }
        svg += "<rect x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(plotSize))\" height=\"\(c(plotSize))\" fill=\"none\" stroke=\"black\"/>\n"
        svg += "<line x1=\"\(c(x(0)))\" y1=\"\(c(y(0)))\" x2=\"\(c(x(1)))\" y2=\"\(c(y(1)))\" stroke=\"#999999\" stroke-dasharray=\"4 4\"/>\n"
        svg += "<text x=\"\(c(left + plotSize / 2))\" y=\"\(c(top + plotSize + 36))\" text-anchor=\"middle\">False positive rate</text>\n"
        svg += "<text transform=\"translate(16 \(c(top + plotSize / 2))) rotate(-90)\" text-anchor=\"middle\">True positive rate</text>\n"
        // Curves, then the legend beside the plot.
        for (index, entry) in series.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let points = Self.visiblePoints(
                zip(entry.curve.falsePositiveRates, entry.curve.truePositiveRates).map { (x($0), y($1)) })
                .map { "\(c($0.0)),\(c($0.1))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            let legendY = top + Double(index) * lineHeight
            let legendX = left + plotSize + 30
            let auc = entry.auc.map { String(format: "%.4f", $0) } ?? "undefined"
            svg += "<line x1=\"\(c(legendX))\" y1=\"\(c(legendY + 8))\" x2=\"\(c(legendX + 20))\" y2=\"\(c(legendY + 8))\" stroke=\"\(colour)\" stroke-width=\"3\"/>\n"
            svg += "<text x=\"\(c(legendX + 26))\" y=\"\(c(legendY + 12))\">\(Markup.escape(entry.name)) (AUC \(auc))</text>\n"
        }
        if !undefinedClasses.isEmpty {
            let legendY = top + Double(series.count) * lineHeight
            let names = undefinedClasses.map(Markup.escape).joined(separator: ", ")
            svg += "<text x=\"\(c(left + plotSize + 30))\" y=\"\(c(legendY + 12))\" fill=\"#666666\">No curve (AUC undefined): \(names)</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// The points of a polyline that a viewer can tell apart: a point closer than half an SVG
    /// pixel to the last one kept is dropped (the first and last are always kept). A test set of
    /// 25,000 images can give a curve of thousands of points; this keeps the image small without
    /// changing what it shows.
    static func visiblePoints(_ points: [(Double, Double)]) -> [(Double, Double)] {
        guard points.count > 2 else { return points }
        var kept = [points[0]]
        for point in points.dropFirst().dropLast() {
            let last = kept[kept.count - 1]
            if abs(point.0 - last.0) >= 0.5 || abs(point.1 - last.1) >= 0.5 { kept.append(point) }
        }
        kept.append(points[points.count - 1])
        return kept
    }

    /// Writes the SVG to `url` atomically.
    ///
    /// - Throws: `EvaluationError.cannotWrite` naming the file.
    public func write(to url: URL) throws {
        try Markup.writeAtomically(render(), to: url)
    }
}
