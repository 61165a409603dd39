import Evaluation
import Pipeline
import Foundation
import Store
import TestSupport
import XCTest

/// `thorax localize` as a subprocess on a database of the bundled samples (5 boxed images).
final class LocalizeCommandTests: XCTestCase {
    func testScoresEveryBoxedImageOnDiskWritesFiguresAndMatchesTheLibrary() throws {
        let directory = try SharedData.temporaryDirectory("localize-command")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try BenchmarkCommandFixture.makeModel(in: directory)
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let figures = directory.appendingPathComponent("figures").path

        let result = try ForwardCommandTests.run(["localize", "--model", model.path, "--database", database, "--output", figures])
        XCTAssertEqual(result.status, 0, result.error)
        let boxed = try ThoraxDatabase(path: database).boxedImages()
        XCTAssertEqual(boxed.map { $0.boxes.map(\.className) },
                       [["Atelectasis"], ["Cardiomegaly"], ["Nodule"], ["Pneumonia"], ["Infiltration"]])
        XCTAssertEqual(boxed[0].boxes[0].box.x, 307.029340277778, accuracy: 1e-9)
        let library = try LocalizationRunner(classifier: ChestModel.load(directory: model), modelName: "\(model.path) (resnet18)")
            .run(images: boxed)
        XCTAssertEqual(result.output, library.text)
        XCTAssertTrue(result.output.hasSuffix("5 boxed images requested, 5 scored, 0 missing on disk\n"), result.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: figures).sorted(), [
            "00001153_004-Atelectasis.png", "00001369_000-Cardiomegaly.png", "00002578_000-Nodule.png",
            "00022084_000-Pneumonia.png", "00026911_000-Infiltration.png",
        ])

        let json = try ForwardCommandTests.run(["localize", "--model", model.path, "--database", database, "--json"])
        XCTAssertEqual(json.status, 0, json.error)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let cases = try XCTUnwrap(object["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 5)
        XCTAssertTrue(cases.allSatisfy { (1...3).contains(($0["detections"] as? [Any])?.count ?? 0) })
        let table = try XCTUnwrap(object["table"] as? [String: Any])
        XCTAssertEqual((table["rows"] as? [Any])?.count, 12)
    }
}

extension LocalizeCommandTests {
    /// `--record-in-card` writes the same table the command prints into model.json, with the
    /// boxes it stands on and the anecdote caveat, and leaves the rest of the card as it was.
    func testRecordInCardWritesTheTableAndTheBoxCountsIntoTheCard() throws {
        let directory = try SharedData.temporaryDirectory("localize-card")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try BenchmarkCommandFixture.makeModel(in: directory)
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let before = try ModelCard.read(directory: model)
        XCTAssertNil(before.localization)

        let result = try ForwardCommandTests.run(["localize", "--model", model.path, "--database", database,
                                                  "--json", "--record-in-card"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.error.contains("recorded the localization table in \(model.path)/model.json"), result.error)
        let printed = try JSONDecoder().decode(PrintedReport.self, from: Data(result.output.utf8))
        let card = try ModelCard.read(directory: model)
        let section = try XCTUnwrap(card.localization)
        XCTAssertEqual(section.table, printed.table)
        XCTAssertEqual(section.images, 5)
        XCTAssertEqual(section.evaluatedOn, "5 boxed films of thorax.sqlite")
        // The bundled samples' boxes: one each of Atelectasis, Cardiomegaly, Infiltration, Nodule, Pneumonia.
        XCTAssertEqual(section.table.classNames.prefix(8), ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration",
                                                            "Mass", "Nodule", "Pneumonia", "Pneumothorax"])
        XCTAssertEqual(Array(section.table.rows[0].classes.map(\.truthBoxes).prefix(8)), [1, 1, 0, 1, 0, 1, 1, 0])
        XCTAssertTrue(section.caveat.hasPrefix("5 hand-drawn boxes on 5 films: an anecdote"), section.caveat)
        var rest = card
        rest.localization = nil
        XCTAssertEqual(rest, before)
    }

    private struct PrintedReport: Decodable {
        var table: LocalizationTable
    }
}
