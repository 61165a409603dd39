import XCTest
import TestSupport
@testable import Reports

/// Precision, recall and F1 on small hand-counted tables.
final class LabelEvaluationTests: XCTestCase {
    let zeros13 = Array(repeating: "0", count: 13).joined(separator: ",")

    func testCountsOnlyOnesAsPositive() throws {
        let folder = try SharedData.temporaryDirectory("label-eval")
        defer { try? FileManager.default.removeItem(at: folder) }
        let header = Finding.allCases.map(\.rawValue).joined(separator: ",")
        // Gold: a has Atelectasis; b has Atelectasis; c is normal.
        let gold = "filename,\(header),normal\na,1,\(zeros13),0\nb,1,\(zeros13),0\nc,0,\(zeros13),1\n"
        // Prediction: a Atelectasis 1 (TP); b -1 (FN: uncertain is not positive); c 1 (FP);
        // d is not in gold. No Finding: c predicted 0 (FN), b predicted 1 (FP).
        let blanks13 = String(repeating: ",", count: 12)
        let pred = "id,\(header),No Finding\na,1,\(blanks13),0\nb,-1,\(blanks13),1\nc,1,\(blanks13),0\nd,1,\(blanks13),0\n"
        try Data(gold.utf8).write(to: folder.appendingPathComponent("gold.csv"))
        try Data(pred.utf8).write(to: folder.appendingPathComponent("pred.csv"))
        let e = try LabelEvaluation.evaluate(gold: folder.appendingPathComponent("gold.csv"), predicted: folder.appendingPathComponent("pred.csv"))
        let atelectasis = try XCTUnwrap(e.classes["Atelectasis"])
        XCTAssertEqual([atelectasis.truePositives, atelectasis.falsePositives, atelectasis.falseNegatives], [1, 1, 1])
        XCTAssertEqual(atelectasis.precision, 0.5)
        XCTAssertEqual(atelectasis.recall, 0.5)
        XCTAssertEqual(atelectasis.f1, 0.5)
        XCTAssertNil(e.classes["Effusion"]?.precision)
        XCTAssertNil(e.classes["Effusion"]?.f1)
        XCTAssertEqual(e.micro14.f1, 0.5)
        XCTAssertEqual(e.macro14.f1, 0.5, "classes without positives anywhere are left out of the macro mean")
        XCTAssertEqual(e.noFinding.map { [$0.truePositives, $0.falsePositives, $0.falseNegatives] }, [0, 1, 1])
        XCTAssertEqual([e.reports, e.missingPredictions, e.unmatchedPredictions], [3, 0, 1])
    }

    func testBadCellIsNamed() throws {
        let folder = try SharedData.temporaryDirectory("label-eval-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let header = Finding.allCases.map(\.rawValue).joined(separator: ",")
        let gold = folder.appendingPathComponent("gold.csv")
        try Data("filename,\(header)\na,yes,\(zeros13)\n".utf8).write(to: gold)
        XCTAssertThrowsError(try LabelEvaluation.evaluate(gold: gold, predicted: gold)) { error in
            XCTAssertEqual("\(error)", "\(gold.relativePath):2: column 'Atelectasis' has 'yes', expected 1, 0, -1 or empty")
        }
    }
}
