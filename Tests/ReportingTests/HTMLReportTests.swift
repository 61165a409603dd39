import Evaluation
import Random
import XCTest
import TestSupport
import Imaging
@testable import Reporting
#if canImport(FoundationXML)
import FoundationXML
#endif

final class HTMLReportTests: XCTestCase {
    func makeEvaluation() throws -> ClassificationEvaluation {
        try ClassificationEvaluation(
            classNames: ["Atelectasis", "Effusion <left>", "Hernia"],
            scores: [[0.9, 0.2, 0.1], [0.5, 0.7, 0.2], [0.4, 0.75, 0.3], [0.1, 0.8, 0.4]] as [[Double]],
            labels: [[true, false, false], [true, true, false], [false, false, false], [false, true, false]],
            bootstrap: BootstrapOptions(resamples: 20, seed: 1))
    }

    func testROCCurvesAreWellFormedSVGWithOneLinePerDefinedClass() throws {
        let svg = ROCCurveSVG(title: "ROC & AUC", evaluation: try makeEvaluation()).render()
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        // The dashed chance diagonal and one line per defined class.
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 3)
        XCTAssertTrue(svg.contains("stroke-dasharray=\"4 4\" points=\"70.00,460.00 490.00,40.00\""), svg)
        XCTAssertTrue(svg.contains("Effusion &lt;left&gt; (AUC 0.7500)"), svg)
        XCTAssertTrue(svg.contains("No curve (AUC undefined): Hernia"), svg)
        XCTAssertTrue(svg.contains("ROC &amp; AUC"))
        #if canImport(FoundationXML) || os(macOS)
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))")
        #endif
    }

    func testLongCurvesAreThinnedToVisiblePoints() throws {
        // 20,000 images with distinct scores: thousands of ROC points, at most ~2 per pixel of
        // the 420-pixel plot's path remain, and the curve still starts at (0, 0) and ends at (1, 1).
        var generator = SplitMix64(seed: 5)
        let labels = (0..<20_000).map { _ in generator.below(10) < 3 }
        let scores = labels.map { Double(generator.below(1 << 30)) / Double(1 << 30) + ($0 ? 0.3 : 0) }
        let curve = try XCTUnwrap(try ROCCurve(scores: scores, labels: labels))
        XCTAssertGreaterThan(curve.falsePositiveRates.count, 3000)
        let svg = ROCCurveSVG(title: "ROC", series: [.init(name: "A", curve: curve, auc: curve.area)]).render()
        let polyline = try XCTUnwrap(svg.components(separatedBy: "\n").last { $0.hasPrefix("<polyline") })
        let points = polyline.components(separatedBy: "points=\"")[1].dropLast(3).split(separator: " ")
        XCTAssertLessThan(points.count, 1700)
        XCTAssertEqual(points.first, "70.00,460.00")
        XCTAssertEqual(points.last, "490.00,40.00")
    }

    func testReportIsWrittenCompletelyEscapedAndAtomically() throws {
        let directory = try SharedData.temporaryDirectory("cad-report")
        defer { try? FileManager.default.removeItem(at: directory) }
        let evaluation = try makeEvaluation()
        let localization = try LocalizationScoring.table(
            cases: [LocalizationCase(imageName: "00001153_004.png", className: "Atelectasis",
                                     truthBoxes: [BoundingBox(x: 10, y: 10, width: 100, height: 100)],
                                     detections: [BoundingBox(x: 20, y: 20, width: 50, height: 50)])],
            classNames: ["Atelectasis", "Cardiomegaly"])
        let report = HTMLReport(
            title: "Thorax demo <script>alert(1)</script>",
            notes: ["Model: bundled & f16"],
            images: [HTMLReport.Image(
                name: "00001153_004.png", path: "images/00001153_004.png", labels: ["Atelectasis"],
                classes: [ClassPrediction(className: "Atelectasis", probability: 0.73126, threshold: 0.5),
                          ClassPrediction(className: "Hernia", probability: 0.01, threshold: 0.5)],
                overlays: [HTMLReport.Overlay(className: "Atelectasis", path: "heatmaps/00001153 004 Atelectasis.png",
                                              caption: "2 boxes")])],
            classification: ClassificationTable(model: "bundled", evaluation: evaluation),
            localization: localization,
            rocCurves: ROCCurveSVG(title: "ROC", evaluation: evaluation))
        let url = directory.appendingPathComponent("report.html")
        try report.write(to: url)
        try report.write(to: url)  // replacing an existing page works too
        let html = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(html, report.render())
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>\n"))
        XCTAssertTrue(html.hasSuffix("</body>\n</html>\n"))
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertTrue(html.contains("Thorax demo &lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("Model: bundled &amp; f16"))
        XCTAssertTrue(html.contains("<img src=\"images/00001153_004.png\""))
        XCTAssertTrue(html.contains("<img src=\"heatmaps/00001153%20004%20Atelectasis.png\""))
        XCTAssertTrue(html.contains("<tr class=\"high\"><td>Atelectasis</td><td>0.7313</td></tr>"))
        XCTAssertTrue(html.contains("<td>Effusion &lt;left&gt;</td><td>0.7500</td>"))
        XCTAssertTrue(html.contains("<td>Hernia</td><td>undefined (no positive images)</td>"))
        XCTAssertTrue(html.contains("<td rowspan=\"2\">T(IoBB) = 0.25</td><td>Acc.</td><td>1.0000</td><td>undefined</td>"))
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 1)
        // Only the page itself is left: the temporary file was renamed, not copied.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["report.html"])
    }

    func testWritingIntoAMissingFolderNamesTheFile() {
        let url = URL(fileURLWithPath: "/nonexistent-thorax-folder/report.html")
        XCTAssertThrowsError(try HTMLReport(title: "x").write(to: url)) { error in
            guard case let .cannotWrite(path, _) = error as? EvaluationError else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(path, url.path)
        }
    }
}
