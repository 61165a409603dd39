import Foundation
import TestSupport
import XCTest

/// `thorax train --folds`: its flags checked together before any work, and the output stride
/// named where the architecture lacks it.
final class TrainFoldsCommandTests: XCTestCase {
    func testFoldFlagsAreCheckedTogether() throws {
        let ensemble = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--ensemble", "--output", "x"])
        XCTAssertEqual(ensemble.status, 64)
        XCTAssertTrue(ensemble.error.contains("--ensemble, --threshold-rule and --commit apply to a cross-validated run: give --folds K"),
                      ensemble.error)
        let one = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--folds", "1", "--output", "x"])
        XCTAssertEqual(one.status, 64)
        XCTAssertTrue(one.error.contains("--folds must be at least 2, got 1"), one.error)
        let resume = try ForwardCommandTests.run(["train", "--folds", "3", "--resume", "--output", "x"])
        XCTAssertEqual(resume.status, 64)
        XCTAssertTrue(resume.error.contains("--folds trains new runs; it cannot --resume"), resume.error)
        let validation = try ForwardCommandTests.run(["train", "--folds", "3", "--validation-part", "v", "--output", "x"])
        XCTAssertEqual(validation.status, 64)
        XCTAssertTrue(validation.error.contains("leave out --validation-part"), validation.error)
        let rule = try ForwardCommandTests.run(["train", "--folds", "3", "--threshold-rule", "median", "--output", "x"])
        XCTAssertNotEqual(rule.status, 0)
        XCTAssertTrue(rule.error.contains("'max-f1'"), rule.error)
    }

    func testOutputStrideIsNamedWhereTheArchitectureLacksIt() throws {
        let stride = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--arch", "resnet18",
                                                  "--output-stride", "16", "--output", "x"])
        XCTAssertEqual(stride.status, 64)
        XCTAssertTrue(stride.error.contains("--output-stride 16 is not available for resnet18"), stride.error)
        let eight = try ForwardCommandTests.run(["train", "--output-stride", "8", "--output", "x"])
        XCTAssertNotEqual(eight.status, 0)
        XCTAssertTrue(eight.error.contains("--output-stride"), eight.error)
    }

    func testEvalStoredRefusesStoringAgain() throws {
        let result = try ForwardCommandTests.run(["eval", "--split", "official:train_val", "--stored", "1", "--store-predictions"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.error.contains("leave out --store-predictions"), result.error)
    }
}
