import Tensor
import XCTest

final class EngineOptionsTests: XCTestCase {
    func testUnsetVariablesGiveTheDefaults() throws {
        let options = try EngineOptions(environment: ["PATH": "/usr/bin", "THORAX_SHARED_DATA": "/data"])
        XCTAssertEqual(options, EngineOptions())
        XCTAssertFalse(options.batchNormAccumulatesInDouble)
        XCTAssertTrue(options.foldsBatchNormInInference)
        XCTAssertTrue(options.overlapsBackward)
        XCTAssertTrue(options.winogradWeightGradient)
        XCTAssertFalse(options.recordsGradientsInEvaluation)
        XCTAssertTrue(try EngineOptions.recyclesBuffers(environment: ["PATH": "/usr/bin"]))
    }

    func testEachVariableSetsItsOwnOption() throws {
        var expected = EngineOptions()
        expected.batchNormAccumulatesInDouble = true
        expected.foldsBatchNormInInference = false
        expected.overlapsBackward = false
        expected.winogradWeightGradient = false
        let environment = [
            "THORAX_BATCHNORM_DOUBLE": "1", "THORAX_FOLD_BATCHNORM": "0", "THORAX_OVERLAPPED_BACKWARD": "0",
            "THORAX_WINOGRAD_WEIGHT_GRADIENT": "0", "THORAX_BUFFER_POOL": "0",
        ]
        XCTAssertEqual(try EngineOptions(environment: environment), expected)
        XCTAssertFalse(try EngineOptions.recyclesBuffers(environment: environment))
        // Explicit defaults change nothing.
        XCTAssertEqual(try EngineOptions(environment: ["THORAX_FOLD_BATCHNORM": "1", "THORAX_WINOGRAD_WEIGHT_GRADIENT": "1"]),
                       EngineOptions())
        XCTAssertTrue(try EngineOptions.recyclesBuffers(environment: ["THORAX_BUFFER_POOL": "1"]))
        var onlyDouble = EngineOptions()
        onlyDouble.batchNormAccumulatesInDouble = true
        XCTAssertEqual(try EngineOptions(environment: ["THORAX_BATCHNORM_DOUBLE": "1"]), onlyDouble)
        // Overrides apply over the options given, and leave what no variable names alone.
        let recording = EngineOptions(recordsGradientsInEvaluation: true)
        var recordingWithoutOverlap = recording
        recordingWithoutOverlap.overlapsBackward = false
        XCTAssertEqual(try EngineOptions(environment: ["THORAX_OVERLAPPED_BACKWARD": "0"], overriding: recording),
                       recordingWithoutOverlap)
    }

    func testAnyOtherValueIsAnErrorNamingTheVariable() {
        for value in ["", "yes", "true", "2", " 1", "on"] {
            XCTAssertThrowsError(try EngineOptions(environment: ["THORAX_OVERLAPPED_BACKWARD": value])) { error in
                XCTAssertEqual(error as? EngineOptions.InvalidValue, EngineOptions.InvalidValue(variable: "THORAX_OVERLAPPED_BACKWARD", value: value))
                XCTAssertEqual("\(error)", "environment variable THORAX_OVERLAPPED_BACKWARD is '\(value)'; it must be 0 (off) or 1 (on), or unset")
            }
            XCTAssertThrowsError(try EngineOptions.recyclesBuffers(environment: ["THORAX_BUFFER_POOL": value])) { error in
                XCTAssertEqual(error as? EngineOptions.InvalidValue, EngineOptions.InvalidValue(variable: "THORAX_BUFFER_POOL", value: value))
            }
            XCTAssertEqual(EngineOptions.problem(in: ["THORAX_BUFFER_POOL": value]),
                           EngineOptions.InvalidValue(variable: "THORAX_BUFFER_POOL", value: value))
        }
        XCTAssertNil(EngineOptions.problem(in: ["THORAX_FOLD_BATCHNORM": "0", "THORAX_BUFFER_POOL": "1"]))
    }

    func testRecordingFollowsTrainingModeOrTheOption() {
        XCTAssertTrue(EngineOptions().recordsGradients(training: true))
        XCTAssertFalse(EngineOptions().recordsGradients(training: false))
        XCTAssertTrue(EngineOptions(recordsGradientsInEvaluation: true).recordsGradients(training: false))
    }
}
