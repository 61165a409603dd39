import Evaluation
import XCTest
@testable import Reporting
#if canImport(FoundationXML)
import FoundationXML
#endif

final class LineChartSVGTests: XCTestCase {
    func testTicksAreOneTwoOrFiveTimesAPowerOfTen() {
        XCTAssertEqual(LineChartSVG.ticks(0...1).values, [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        XCTAssertEqual(LineChartSVG.ticks(0...1).format, "%.1f")
        XCTAssertEqual(LineChartSVG.ticks(0.31...2.7).values, [0.5, 1.0, 1.5, 2.0, 2.5])
        XCTAssertEqual(LineChartSVG.ticks(1...30).values, [5, 10, 15, 20, 25, 30])
        XCTAssertEqual(LineChartSVG.ticks(1...30).format, "%.0f")
        XCTAssertEqual(LineChartSVG.ticks(-0.02...0.03).values, [-0.02, -0.01, 0, 0.01, 0.02, 0.03])
        XCTAssertEqual(LineChartSVG.ticks(-0.02...0.03).format, "%.2f")
    }

    func testExtentFitsTheDataAndWidensAFlatLine() {
        XCTAssertEqual(LineChartSVG.extent([0.7, 0.2, 0.5]), 0.2...0.7)
        XCTAssertEqual(LineChartSVG.extent([3, 3]), 2.5...3.5)
        XCTAssertEqual(LineChartSVG.extent([]), 0...1)
    }

    func testTrainingCurvesChartLeavesOutNonFinitePointsAndIsWellFormed() throws {
        let chart = LineChartSVG(
            title: "Loss <train & validation>", xLabel: "Epoch", yLabel: "Loss",
            series: [.init(name: "train", points: [(1, 0.9), (2, .nan), (3, 0.5)]),
                     .init(name: "validation", points: [(1, 1.0), (2, 0.8), (3, 0.7)], dashed: true)])
        let svg = chart.render()
        XCTAssertTrue(svg.contains("Loss &lt;train &amp; validation&gt;"))
        XCTAssertFalse(svg.contains("nan"))
        // x from 1 to 3 over 420 pixels starting at 70; y from 0.5 to 1.0 over 420 starting at 40.
        XCTAssertTrue(svg.contains("points=\"70.00,124.00 490.00,460.00\""), svg)
        XCTAssertTrue(svg.contains("stroke-dasharray=\"4 4\" points=\"70.00,40.00 280.00,208.00 490.00,292.00\""), svg)
        #if canImport(FoundationXML) || os(macOS)
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))")
        #endif
    }
}
