import Tensor
import XCTest

final class EngineSwitchesTests: XCTestCase {
    func testUnsetVariablesGiveTheDefaults() throws {
        let switches = try EngineSwitches(environment: ["PATH": "/usr/bin", "THORAX_SHARED_DATA": "/data"])
        XCTAssertEqual(switches, EngineSwitches())
        XCTAssertFalse(switches.batchNormAccumulatesInDouble)
        XCTAssertTrue(switches.foldsBatchNormInInference)
        XCTAssertTrue(switches.overlapsBackward)
        XCTAssertFalse(switches.winogradConvolution)
        XCTAssertTrue(switches.winogradWeightGradient)
        XCTAssertTrue(switches.recyclesBuffers)
    }

    func testEachVariableSetsItsOwnSwitch() throws {
        var expected = EngineSwitches()
        expected.batchNormAccumulatesInDouble = true
        expected.foldsBatchNormInInference = false
        expected.overlapsBackward = false
        expected.winogradConvolution = true
        expected.winogradWeightGradient = false
        expected.recyclesBuffers = false
        XCTAssertEqual(try EngineSwitches(environment: [
            "THORAX_BATCHNORM_DOUBLE": "1", "THORAX_FOLD_BATCHNORM": "0", "THORAX_OVERLAPPED_BACKWARD": "0",
            "THORAX_WINOGRAD_CONVOLUTION": "1", "THORAX_WINOGRAD_WEIGHT_GRADIENT": "0", "THORAX_BUFFER_POOL": "0",
        ]), expected)
        // Explicit defaults change nothing.
        XCTAssertEqual(try EngineSwitches(environment: ["THORAX_FOLD_BATCHNORM": "1", "THORAX_WINOGRAD_CONVOLUTION": "0"]), EngineSwitches())
        var onlyDouble = EngineSwitches()
        onlyDouble.batchNormAccumulatesInDouble = true
        XCTAssertEqual(try EngineSwitches(environment: ["THORAX_BATCHNORM_DOUBLE": "1"]), onlyDouble)
    }

    func testAnyOtherValueIsAnErrorNamingTheVariable() {
        for value in ["", "yes", "true", "2", " 1", "on"] {
            XCTAssertThrowsError(try EngineSwitches(environment: ["THORAX_OVERLAPPED_BACKWARD": value])) { error in
                XCTAssertEqual(error as? EngineSwitches.InvalidValue, EngineSwitches.InvalidValue(variable: "THORAX_OVERLAPPED_BACKWARD", value: value))
                XCTAssertEqual("\(error)", "environment variable THORAX_OVERLAPPED_BACKWARD is '\(value)'; it must be 0 (off) or 1 (on), or unset")
            }
        }
    }
}
