import XCTest
import TestSupport
@testable import Pipeline

final class ModelCardTests: XCTestCase {
    private func sampleCard() -> ModelCard {
        ModelCard(
            architecture: .efficientnetLite0,
            classes: ["Atelectasis", "Cardiomegaly"],
            preprocessing: .init(inputSize: 224, channels: 3, mean: [0.485, 0.456, 0.406],
                                 standardDeviation: [0.229, 0.224, 0.225]),
            head: .init(transitionChannels: 512, pooling: .logSumExp, lseR: 10),
            thresholds: [0.5, 0.25],
            metrics: .init(evaluatedOn: "validation", auc: [0.71, nil], meanAUC: 0.71),
            thoraxVersion: "0.1.0",
            created: Date(timeIntervalSince1970: 0))
    }

    func testRoundTripKeepsEveryField() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let card = sampleCard()
        try card.write(directory: directory)
        XCTAssertEqual(try ModelCard.read(directory: directory), card)
        XCTAssertEqual(card.created, "1970-01-01T00:00:00Z")
    }

    func testMissingCardNamesTheFile() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try ModelCard.read(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("model.json"), "\(error)")
        }
    }

    func testInconsistentThresholdsAreRejected() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var card = sampleCard()
        card.thresholds = [0.5]
        try card.write(directory: directory)
        XCTAssertThrowsError(try ModelCard.read(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("1 thresholds for 2 classes"), "\(error)")
        }
    }

    func testUnknownFormatVersionIsRejected() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var card = sampleCard()
        card.formatVersion = 7
        try card.write(directory: directory)
        XCTAssertThrowsError(try ModelCard.read(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("format version 7"), "\(error)")
        }
    }
}
