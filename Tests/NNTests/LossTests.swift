import EngineTestSupport
import NN
import XCTest

/// Losses against PyTorch (LossGoldenValues.swift, made by scripts/golden/make-fixtures.py)
/// and against finite differences.
final class LossTests: XCTestCase {
    private func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 2e-6,
                             _ message: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, line: line)
        let scale = max(expected.map(abs).max() ?? 0, 1e-12)
        let error = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(error / scale, tolerance, message, line: line)
    }

    func testBinaryCrossEntropyMatchesPyTorch() throws {
        for golden in LossGoldenValues.cases {
            let result = try BinaryCrossEntropyWithLogits()(logits: golden.logits,
                                                           targets: MultiLabelTargets(values: golden.targets, mask: golden.mask))
            XCTAssertEqual(result.value, golden.bce, accuracy: 1e-6 * max(1, abs(golden.bce)), golden.name)
            assertClose(result.gradient, golden.bceGradient, golden.name)
        }
    }

    func testWeightedCrossEntropyMatchesPyTorch() throws {
        for golden in LossGoldenValues.cases {
            let targets = MultiLabelTargets(values: golden.targets, mask: golden.mask)
            let sum = try WeightedCrossEntropy(reduction: .sum)(logits: golden.logits, targets: targets)
            XCTAssertEqual(sum.value, golden.weightedSum, accuracy: 1e-6 * max(1, abs(golden.weightedSum)), golden.name)
            assertClose(sum.gradient, golden.weightedSumGradient, golden.name)
            let mean = try WeightedCrossEntropy(reduction: .mean)(logits: golden.logits, targets: targets)
            XCTAssertEqual(mean.value, golden.weightedMean, accuracy: 1e-6 * max(1, abs(golden.weightedMean)), golden.name)
            assertClose(mean.gradient, golden.weightedMeanGradient, golden.name)
        }
    }

    func testMaskedLabelsHaveNoEffect() throws {
        let golden = LossGoldenValues.cases.first { $0.name == "masked" }!
        var scrambled = golden.targets
        var logits = golden.logits
        for i in scrambled.indices where golden.mask[i] == 0 {
            scrambled[i] = -1  // "uncertain" codes must be ignored where masked
            logits[i] += 3
        }
        let loss = WeightedCrossEntropy()
        let a = try loss(logits: golden.logits, targets: MultiLabelTargets(values: golden.targets, mask: golden.mask))
        let b = try loss(logits: logits, targets: MultiLabelTargets(values: scrambled, mask: golden.mask))
        XCTAssertEqual(a.value, b.value)
        for i in golden.mask.indices where golden.mask[i] == 0 { XCTAssertEqual(b.gradient[i], 0) }
    }

    func testGradientsAgreeWithFiniteDifferences() throws {
        let golden = LossGoldenValues.cases.first { $0.name == "masked" }!
        let targets = MultiLabelTargets(values: golden.targets, mask: golden.mask)
        let losses: [(String, ([Float]) throws -> LossResult)] = [
            ("bce", { try BinaryCrossEntropyWithLogits()(logits: $0, targets: targets) }),
            ("wcel", { try WeightedCrossEntropy(reduction: .sum)(logits: $0, targets: targets) }),
        ]
        for (name, loss) in losses {
            let analytic = try loss(golden.logits).gradient
            for i in stride(from: 1, to: golden.logits.count, by: 7) {
                var plus = golden.logits, minus = golden.logits
                let h: Float = 1e-2
                plus[i] += h
                minus[i] -= h
                let numeric = (try loss(plus).value - loss(minus).value) / (2 * h)
                XCTAssertEqual(analytic[i], numeric, accuracy: 2e-3 * max(1, abs(numeric)), "\(name) logit \(i)")
            }
        }
    }

    func testBadInputIsReported() {
        let loss = WeightedCrossEntropy()
        XCTAssertThrowsError(try loss(logits: [0, 1], targets: MultiLabelTargets(values: [1]))) {
            XCTAssertEqual("\($0)", "loss: targets has 1 values, expected 2")
        }
        XCTAssertThrowsError(try loss(logits: [0, 1], targets: MultiLabelTargets(values: [1, 0.5]))) {
            XCTAssertEqual($0 as? LossError, .invalidTarget(index: 1, value: 0.5))
        }
        XCTAssertThrowsError(try loss(logits: [0, .nan], targets: MultiLabelTargets(values: [1, 0]))) {
            XCTAssertEqual("\($0)", "loss: logit 1 is nan; the network diverged or its input is broken")
        }
        XCTAssertThrowsError(try loss(logits: [0, 1], targets: MultiLabelTargets(values: [1, 0], mask: [1]))) {
            XCTAssertEqual($0 as? LossError, .shapeMismatch(what: "mask", expected: 2, actual: 1))
        }
    }

    func testNoKnownLabelGivesZero() throws {
        let result = try WeightedCrossEntropy()(logits: [3, -2], targets: MultiLabelTargets(values: [1, 0], mask: [0, 0]))
        XCTAssertEqual(result.value, 0)
        XCTAssertEqual(result.gradient, [0, 0])
    }
}
