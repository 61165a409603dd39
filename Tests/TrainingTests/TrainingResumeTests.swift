import Training
import Foundation
import XCTest

/// What a resumed run compares: every training option but the epochs and iterations, and the
/// split, parts and label source (not the database path), each conflict named with both values.
final class TrainingResumeTests: XCTestCase {
    /// A field added to TrainingOptions without a setting would escape the comparison
    /// (`SavedRun.check` then still refuses it, but without naming it).
    func testEverySettingIsListedOnce() {
        let options = TrainingOptions()
        XCTAssertEqual(options.settings.count, Mirror(reflecting: options).children.count)
        XCTAssertEqual(Set(options.settings.map(\.option)).count, options.settings.count)
    }

    func testConflictsNameTheOptionAndBothValues() {
        let recorded = TrainingOptions()
        var options = recorded
        options.epochs = 30
        options.iterations = 7
        XCTAssertNil(options.resumeConflict(with: recorded), "epochs and iterations may change")
        options.notes = "another text for the card"
        XCTAssertNil(options.resumeConflict(with: recorded), "notes may change")
        options.dropConnect = 0
        XCTAssertNil(options.resumeConflict(with: recorded), "drop connect 0 is off, as nil")
        options.batchSize = 8
        options.seed = 9
        XCTAssertEqual(options.resumeConflict(with: recorded), ResumeConflict(option: .batchSize, given: "8", recorded: "16"))
        XCTAssertEqual(String(describing: TrainingError.resumeConflict(options.resumeConflict(with: recorded)!)),
                       "batch size 8 conflicts with the run being resumed (16)")
        options = recorded
        options.learningRate = 3e-4
        XCTAssertEqual(options.resumeConflict(with: recorded), ResumeConflict(option: .learningRate, given: "0.0003", recorded: "0.0001"))
        options = recorded
        options.augment = false
        XCTAssertEqual(options.resumeConflict(with: recorded), ResumeConflict(option: .augment, given: "false", recorded: "true"))
        options = recorded
        options.initialWeights = "w.safetensors"
        XCTAssertEqual(options.resumeConflict(with: recorded), ResumeConflict(option: .initialWeights, given: "w.safetensors", recorded: "none"))

        let source = TrainingSource(database: "a.sqlite", split: "official", trainPart: "train_val", validationPart: "test")
        var moved = source
        moved.database = "/elsewhere/a.sqlite"
        XCTAssertNil(moved.resumeConflict(with: source), "the database may move; its images are compared instead")
        moved.labels = "labeller"
        XCTAssertEqual(moved.resumeConflict(with: source), ResumeConflict(option: .labels, given: "labeller", recorded: "nih"))
    }
}
