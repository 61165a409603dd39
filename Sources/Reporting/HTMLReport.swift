import Evaluation
import Foundation

/// The demo's report: one self-contained HTML page with each image, its class probabilities and
/// its heatmap overlays (PNG files written by the caller, referenced by relative path), the
/// classification and localization tables, and the ROC curves as inline SVG.
///
/// Everything given as text is HTML-escaped; styles are inline, nothing is loaded from the
/// network. The page is written atomically.
public struct HTMLReport: Sendable {
    /// A heatmap overlay PNG of one class on an image.
    public struct Overlay: Sendable {
        public var className: String
        /// Path of the PNG relative to the HTML file.
        public var path: String
        /// A line under the overlay (e.g. "2 boxes; truth in green").
        public var caption: String

        public init(className: String, path: String, caption: String = "") {
            self.className = className
            self.path = path
            self.caption = caption
        }
    }

    /// One image and what the model said about it.
    public struct Image: Sendable {
        public var name: String
        /// Path of the image file relative to the HTML file (PNG or JPEG); nil shows no picture.
        public var path: String?
        /// The image's known labels, if any (e.g. from the database).
        public var labels: [String]
        /// The model's classes for the image; those present (at or above their threshold) are
        /// highlighted.
        public var classes: [ClassPrediction]
        public var overlays: [Overlay]

        public init(name: String, path: String?, labels: [String] = [], classes: [ClassPrediction],
                    overlays: [Overlay] = []) {
            self.name = name
            self.path = path
            self.labels = labels
            self.classes = classes
            self.overlays = overlays
        }
    }

    public var title: String
    /// Paragraphs of plain text under the title (what model, which data).
    public var notes: [String]
    public var images: [Image]
    public var classification: ClassificationTable?
    public var localization: LocalizationTable?
    public var rocCurves: ROCCurveSVG?

    public init(title: String, notes: [String] = [], images: [Image] = [],
                classification: ClassificationTable? = nil, localization: LocalizationTable? = nil,
                rocCurves: ROCCurveSVG? = nil) {
        self.title = title
        self.notes = notes
        self.images = images
        self.classification = classification
        self.localization = localization
        self.rocCurves = rocCurves
    }

    /// The whole page. It ends with `</html>` and a newline, which tests use to check that a
    /// written file is complete.
    public func render() -> String {
        let e = Markup.escape
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(e(title))</title>
        <style>
        body { font-family: sans-serif; margin: 2em; color: #222; }
        table { border-collapse: collapse; margin: 1em 0; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        .image { border-top: 1px solid #ccc; padding: 1em 0; }
        .pictures { display: flex; flex-wrap: wrap; gap: 1em; }
        figure { margin: 0; }
        figure img { width: 256px; height: auto; display: block; }
        figcaption { font-size: 0.85em; max-width: 256px; }
        .high { font-weight: bold; background: #fde0dc; }
        </style>
        </head>
        <body>
        <h1>\(e(title))</h1>

        """
        for note in notes { html += "<p>\(e(note))</p>\n" }
        if !images.isEmpty {
            html += "<h2>Images</h2>\n"
            for image in images { html += section(for: image) }
        }
        if let classification {
            html += "<h2>Classification</h2>\n" + table(classification)
        }
        if let rocCurves {
            html += "<h2>ROC curves</h2>\n" + rocCurves.render()
        }
        if let localization {
            html += "<h2>Localization</h2>\n" + table(localization)
        }
        html += "</body>\n</html>\n"
        return html
    }

    /// Writes the page to `url` atomically (temporary file, then rename).
    ///
    /// - Throws: `EvaluationError.cannotWrite` naming the file.
    public func write(to url: URL) throws {
        try Markup.writeAtomically(render(), to: url)
    }

    private func section(for image: Image) -> String {
        let e = Markup.escape
        var html = "<div class=\"image\">\n<h3>\(e(image.name))</h3>\n"
        if !image.labels.isEmpty {
            html += "<p>Labels: \(e(image.labels.joined(separator: ", ")))</p>\n"
        }
        html += "<div class=\"pictures\">\n"
        if let path = image.path {
            html += "<figure><img src=\"\(Markup.link(path))\" alt=\"\(e(image.name))\"><figcaption>Image</figcaption></figure>\n"
        }
        for overlay in image.overlays {
            let caption = overlay.caption.isEmpty ? overlay.className : "\(overlay.className): \(overlay.caption)"
            html += "<figure><img src=\"\(Markup.link(overlay.path))\" alt=\"\(e(overlay.className)) heatmap\">"
                + "<figcaption>\(e(caption))</figcaption></figure>\n"
        }
        html += "</div>\n"
        if !image.classes.isEmpty {
            html += "<table>\n<tr><th>Class</th><th>Probability</th></tr>\n"
            for entry in image.classes {
                let mark = entry.present ? " class=\"high\"" : ""
                html += "<tr\(mark)><td>\(e(entry.className))</td><td>\(String(format: "%.4f", Double(entry.probability)))</td></tr>\n"
            }
            html += "</table>\n"
        }
        return html + "</div>\n"
    }

    private func table(_ classification: ClassificationTable) -> String {
        let e = Markup.escape
        let percent = TableText.trimmed(classification.confidence * 100)
        var html = "<p>\(e(classification.model)): ROC AUC on \(classification.imageCount) images; "
            + "\(percent)% percentile bootstrap intervals over images, \(classification.resamples) resamples, seed \(classification.seed).</p>\n"
        html += "<table>\n<tr><th>Class</th><th>AUC</th><th>\(percent)% interval</th><th>Positives</th><th>Negatives</th></tr>\n"
        for row in classification.rows {
            let auc = row.auc.map { TableText.number($0) } ?? "undefined (\(row.aucUndefinedReason ?? ""))"
            html += "<tr><td>\(e(row.className))</td><td>\(e(auc))</td><td>\(TableText.interval(row.lower, row.upper))</td>"
                + "<td>\(row.positives)</td><td>\(row.negatives)</td></tr>\n"
        }
        html += "<tr><th>Mean of \(classification.meanClassCount)</th><th>\(TableText.number(classification.meanAUC))</th>"
            + "<th>\(TableText.interval(classification.meanLower, classification.meanUpper))</th><th></th><th></th></tr>\n"
        return html + "</table>\n"
    }

    private func table(_ localization: LocalizationTable) -> String {
        let e = Markup.escape
        var html = "<table>\n<tr><th>Threshold</th><th></th>"
            + localization.classNames.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
        if let first = localization.rows.first {
            html += "<tr><td>Truth boxes</td><td></td>" + first.classes.map { "<td>\($0.truthBoxes)</td>" }.joined() + "</tr>\n"
        }
        for row in localization.rows {
            let label = "T(\(row.threshold.criterion.rawValue)) = \(TableText.trimmed(row.threshold.value))"
            html += "<tr><td rowspan=\"2\">\(e(label))</td><td>Acc.</td>"
                + row.classes.map { "<td>\(TableText.number($0.accuracy))</td>" }.joined() + "</tr>\n"
            html += "<tr><td>AFP</td>" + row.classes.map { "<td>\(TableText.number($0.averageFalsePositives))</td>" }.joined() + "</tr>\n"
        }
        return html + "</table>\n"
    }
}
