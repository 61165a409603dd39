import Pipeline
import Foundation
import TestSupport
import XCTest

/// `thorax predict` as a subprocess: exact errors, and output equal to the library's on the
/// same model and files.
final class PredictCommandTests: XCTestCase {
    var directory: URL!
    /// One model for the class: building and saving it takes seconds in a debug build.
    // nonisolated(unsafe): written once by the class setUp before its tests run, all on XCTest's thread.
    nonisolated(unsafe) static var modelDirectory: URL?
    var model: URL { Self.modelDirectory! }

    override class func setUp() {
        super.setUp()
        modelDirectory = try? BenchmarkCommandFixture.makeModel(in: SharedData.temporaryDirectory("predict-command-model"))
    }

    override class func tearDown() {
        if let modelDirectory { try? FileManager.default.removeItem(at: modelDirectory.deletingLastPathComponent()) }
        super.tearDown()
    }

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("predict-command")
        XCTAssertNotNil(Self.modelDirectory, "the test model could not be written")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testMissingModelDirectoryIsNamed() throws {
        let result = try ForwardCommandTests.run(["predict", "--model", "/nonexistent/model", "x.png"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.output, "")
        XCTAssertEqual(result.error, "Error: /nonexistent/model: not a model directory (no model.json in it)\n")
    }

    func testReadableImagesArePredictedBadOnesNamedAndTheStatusSaysSo() throws {
        let png = BenchmarkCommandFixture.sampleImages.appendingPathComponent("00000001_000.png").path
        let dicom = SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures/base8.dcm").path
        let corrupt = directory.appendingPathComponent("corrupt.png").path
        try Data("PNG? no".utf8).write(to: URL(fileURLWithPath: corrupt))
        let missing = directory.appendingPathComponent("missing.jpg").path
        let heatmaps = directory.appendingPathComponent("heatmaps").path

        let result = try ForwardCommandTests.run(["predict", "--model", model.path, png, corrupt, dicom, missing,
                                                  "--heatmaps", heatmaps])
        XCTAssertEqual(result.status, 1)
        let errors = result.error.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(errors.count, 3, result.error)
        XCTAssertEqual(errors[0], "error: \(corrupt): not a PNG, JPEG or DICOM Part 10 file (unrecognised first bytes)")
        XCTAssertTrue(errors[1].hasPrefix("error: \(missing): cannot read the file ("), errors[1])
        // The same numbers as the library on the same files.
        let library = try PredictionRunner(classifier: ChestModel.load(directory: model), modelName: "\(model.path) (resnet18)",
                                           heatmapDirectory: heatmaps).run(paths: [png, dicom])
        let summary = try ModelCard.read(directory: model).summary
        XCTAssertTrue(summary.hasSuffix("not for clinical use"), summary)
        XCTAssertEqual(result.output, "Model: \(model.path) (resnet18)\nCard: \(summary)\n" + library.text)
        XCTAssertEqual(library.predictions.map { $0.heatmaps.map(\.className) }, [["Atelectasis"], ["Atelectasis"]])
        let written = try FileManager.default.contentsOfDirectory(atPath: heatmaps).sorted()
        XCTAssertEqual(written, ["00000001_000-Atelectasis.png", "base8-Atelectasis.png"])
    }

    func testJSONHasEveryClassAndTheFailures() throws {
        let png = BenchmarkCommandFixture.sampleImages.appendingPathComponent("00001153_004.png").path
        let result = try ForwardCommandTests.run(["predict", "--model", model.path, "--json", png, "/nonexistent.png"])
        XCTAssertEqual(result.status, 1)
        let report = try JSONDecoder().decode(PredictionReport.self, from: Data(result.output.utf8))
        XCTAssertEqual(report.predictions.map(\.path), [png])
        XCTAssertEqual(report.predictions[0].classes.map(\.className).first, "Atelectasis")
        XCTAssertEqual(report.predictions[0].classes.count, 14)
        XCTAssertEqual([report.predictions[0].width, report.predictions[0].height], [512, 512])
        XCTAssertEqual(report.failures.map(\.path), ["/nonexistent.png"])
        let library = try PredictionRunner(classifier: ChestModel.load(directory: model), modelName: "")
            .run(paths: [png])
        XCTAssertEqual(report.predictions[0].classes, library.predictions[0].classes)
    }
}
