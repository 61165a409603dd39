import Evaluation
import Foundation

/// A line chart as one SVG image: a plot with grid and "nice" ticks (1, 2 or 5 × 10ᵏ apart), a
/// polyline per series, and a legend beside the plot. It draws the ROC curves
/// (`ROCCurveSVG`) and can draw training curves (loss or AUC per epoch).
///
/// Plain SVG 1.1 text with no scripts, fonts or external references, so it can be written as a
/// `.svg` file or inlined in an HTML page. All text is XML-escaped. Points that are NaN or
/// infinite are left out (a diverged loss leaves a gap in the data, not a broken image).
public struct LineChartSVG: Sendable {
    /// One line.
    public struct Series: Sendable {
        /// The legend text; an empty name draws the line without a legend entry.
        public var name: String
        /// (x, y) in data units, drawn in order.
        public var points: [(x: Double, y: Double)]
        public var dashed: Bool
        /// A CSS colour; nil takes the next colour of the palette.
        public var colour: String?

        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false, colour: String? = nil) {
            self.name = name
            self.points = points
            self.dashed = dashed
            self.colour = colour
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// The axes' extents; nil fits the finite points (a flat extent is widened by ±0.5).
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var series: [Series]
    /// A grey line under the legend (e.g. which classes have no curve).
    public var footnote: String?
    /// Size of the plot area in SVG pixels; the image adds margins and the legend.
    public var plotWidth: Double
    public var plotHeight: Double

    public init(title: String, xLabel: String, yLabel: String, xRange: ClosedRange<Double>? = nil,
                yRange: ClosedRange<Double>? = nil, series: [Series], footnote: String? = nil,
                plotWidth: Double = 420, plotHeight: Double = 420) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xRange = xRange
        self.yRange = yRange
        self.series = series
        self.footnote = footnote
        self.plotWidth = plotWidth
        self.plotHeight = plotHeight
    }

    /// Distinct colours for up to 20 lines (Tableau 20); more lines reuse them.
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
        "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    ]

    /// The SVG document.
    public func render() -> String {
        let finite = series.map { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        let xExtent = xRange ?? Self.extent(finite.flatMap { $0.map(\.x) })
        let yExtent = yRange ?? Self.extent(finite.flatMap { $0.map(\.y) })
        let left = 70.0, top = 40.0, lineHeight = 18.0, legendWidth = 260.0
        let legendLines = Double(series.filter { !$0.name.isEmpty }.count + (footnote == nil ? 0 : 1))
        let width = left + plotWidth + 30 + legendWidth
        let height = max(top + plotHeight + 50, top + legendLines * lineHeight + 20)
        let x = { (value: Double) in left + (value - xExtent.lowerBound) / (xExtent.upperBound - xExtent.lowerBound) * plotWidth }
        let y = { (value: Double) in top + (1 - (value - yExtent.lowerBound) / (yExtent.upperBound - yExtent.lowerBound)) * plotHeight }
        let c = Markup.coordinate
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(c(width))" height="\(c(height))" \
        viewBox="0 0 \(c(width)) \(c(height))" font-family="sans-serif" font-size="12">
        <title>\(Markup.escape(title))</title>
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(c(left))" y="24" font-size="14" font-weight="bold">\(Markup.escape(title))</text>

        """
        let (xTicks, xFormat) = Self.ticks(xExtent)
        for tick in xTicks {
            svg += "<line x1=\"\(c(x(tick)))\" y1=\"\(c(top + plotHeight))\" x2=\"\(c(x(tick)))\" y2=\"\(c(top))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(c(x(tick)))\" y=\"\(c(top + plotHeight + 16))\" text-anchor=\"middle\">\(String(format: xFormat, tick))</text>\n"
        }
        let (yTicks, yFormat) = Self.ticks(yExtent)
        for tick in yTicks {
            svg += "<line x1=\"\(c(left))\" y1=\"\(c(y(tick)))\" x2=\"\(c(left + plotWidth))\" y2=\"\(c(y(tick)))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(c(left - 6))\" y=\"\(c(y(tick) + 4))\" text-anchor=\"end\">\(String(format: yFormat, tick))</text>\n"
        }
        svg += "<rect x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(plotWidth))\" height=\"\(c(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(c(left + plotWidth / 2))\" y=\"\(c(top + plotHeight + 36))\" text-anchor=\"middle\">\(Markup.escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(16 \(c(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(Markup.escape(yLabel))</text>\n"

        let legendX = left + plotWidth + 30
        var legendY = top
        var paletteIndex = 0
        for (index, line) in series.enumerated() {
            let colour: String
            if let chosen = line.colour {
                colour = chosen
            } else {
                colour = Self.palette[paletteIndex % Self.palette.count]
                paletteIndex += 1
            }
            let dash = line.dashed ? " stroke-dasharray=\"4 4\"" : ""
            let points = Self.visiblePoints(finite[index].map { (x($0.x), y($0.y)) })
                .map { "\(c($0.0)),\(c($0.1))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(Markup.escape(colour))\" stroke-width=\"1.5\"\(dash) points=\"\(points)\"/>\n"
            guard !line.name.isEmpty else { continue }
            svg += "<line x1=\"\(c(legendX))\" y1=\"\(c(legendY + 8))\" x2=\"\(c(legendX + 20))\" y2=\"\(c(legendY + 8))\" "
                + "stroke=\"\(Markup.escape(colour))\" stroke-width=\"3\"\(dash)/>\n"
            svg += "<text x=\"\(c(legendX + 26))\" y=\"\(c(legendY + 12))\">\(Markup.escape(line.name))</text>\n"
            legendY += lineHeight
        }
        if let footnote {
            svg += "<text x=\"\(c(legendX))\" y=\"\(c(legendY + 12))\" fill=\"#666666\">\(Markup.escape(footnote))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Writes the SVG to `url` atomically.
    ///
    /// - Throws: `EvaluationError.cannotWrite` naming the file.
    public func write(to url: URL) throws {
        try Markup.writeAtomically(render(), to: url)
    }

    /// The smallest and largest value, widened by ±0.5 when they are equal; 0...1 for no values.
    static func extent(_ values: [Double]) -> ClosedRange<Double> {
        guard let low = values.min(), let high = values.max() else { return 0...1 }
        return low < high ? low...high : (low - 0.5)...(high + 0.5)
    }

    /// Tick values inside `range`, 1, 2 or 5 × 10ᵏ apart — the smallest such step that gives at
    /// most about seven ticks — and the printf format that shows the step's decimals.
    static func ticks(_ range: ClosedRange<Double>) -> (values: [Double], format: String) {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return ([range.lowerBound], "%g") }
        let rough = span / 7
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough * 0.999 } ?? 10 * magnitude
        let decimals = max(0, Int(-(log10(step)).rounded(.down)))
        var values: [Double] = []
        var tick = (range.lowerBound / step).rounded(.up) * step
        while tick <= range.upperBound + step * 1e-9 {
            values.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return (values, "%.\(decimals)f")
    }

    /// The points of a polyline that a viewer can tell apart: a point closer than half an SVG
    /// pixel to the last one kept is dropped (the first and last are always kept). A test set of
    /// 25,000 images can give a ROC curve of thousands of points; this keeps the image small
    /// without changing what it shows.
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
}
