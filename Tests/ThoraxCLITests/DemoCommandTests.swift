import Pipeline
import Foundation
import TestSupport
import XCTest

/// `thorax demo` as a subprocess on the bundled samples: the page is written completely and
/// every picture it shows exists.
final class DemoCommandTests: XCTestCase {
    func testDemoWritesTheWholePageAndEveryPictureItShows() throws {
        let directory = try SharedData.temporaryDirectory("demo-command")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try BenchmarkCommandFixture.makeModel(in: directory)
        let output = directory.appendingPathComponent("demo")
        let result = try ForwardCommandTests.run(["demo", "--model", model.path, "--samples", BenchmarkCommandFixture.samples.path,
                                                  "--output", output.path, "--resamples", "20"])
        XCTAssertEqual(result.status, 0, result.error)
        let database = output.appendingPathComponent("thorax.sqlite").path
        XCTAssertTrue(result.output.hasPrefix("labelled 50 reports; imported 11 images and 5 boxes\npredicted 11 images\n"
            + "stored 154 probabilities of 11 images as model 1 '\(model.lastPathComponent)' in \(output.path)/thorax.sqlite\n"),
            result.output)
        // The stored probabilities read back: a header and one row per sample image.
        let exported = directory.appendingPathComponent("probabilities.csv")
        let export = try ForwardCommandTests.run(["db", "export", "--database", database, "--predictions", "1",
                                                  "--output", exported.path])
        XCTAssertEqual(export.status, 0, export.error)
        let rows = try String(contentsOf: exported, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 12, "header + 11 images")
        XCTAssertTrue(rows.first?.hasPrefix("Image Index,Atelectasis,Cardiomegaly,") ?? false)
        XCTAssertTrue(result.output.hasSuffix("report: \(output.path)/report.html\n"), result.output)
        let html = try String(contentsOf: output.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</body>\n</html>\n"))
        let sources = html.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        XCTAssertEqual(sources.filter { $0.hasPrefix("images/") }.count, 11)
        XCTAssertEqual(sources.filter { $0.hasPrefix("heatmaps/") }.count, 11, "one present class per image")
        XCTAssertEqual(sources.filter { $0.hasPrefix("localization/") }.count, 5)
        for source in sources {
            XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent(source).path), source)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("roc.svg").path))
    }
}
