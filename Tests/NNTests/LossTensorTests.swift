import NN
import Tensor
import XCTest

/// The losses' tensor entry points (what training calls) against their array twins, which
/// LossTests checks against PyTorch: the same value and, scaled, the same gradient.
final class LossTensorTests: XCTestCase {
    func testTensorLossesEqualTheArrayLossesAndScaleTheGradient() throws {
        for golden in LossGoldenValues.cases {
            let targets = MultiLabelTargets(values: golden.targets, mask: golden.mask)
            // logits: (N, C) with C = 14 where the case allows, else one row.
            let columns = golden.logits.count % 14 == 0 ? 14 : golden.logits.count
            let logits = try Tensor(shape: [golden.logits.count / columns, columns], values: golden.logits)
            for scale: Float in [1, 0.25] {
                let bce = try BinaryCrossEntropyWithLogits()(logits: golden.logits, targets: targets)
                let bceTensor = try BinaryCrossEntropyWithLogits()(logits: logits, targets: targets, gradientScale: scale)
                XCTAssertEqual(bceTensor.value, bce.value, golden.name)
                XCTAssertEqual(bceTensor.gradient.shape, logits.shape, golden.name)
                XCTAssertEqual(try bceTensor.gradient.toArray(), bce.gradient.map { $0 * scale }, golden.name)
                for reduction in [WeightedCrossEntropy.Reduction.sum, .mean] {
                    let weighted = try WeightedCrossEntropy(reduction: reduction)(logits: golden.logits, targets: targets)
                    let weightedTensor = try WeightedCrossEntropy(reduction: reduction)(logits: logits, targets: targets,
                                                                                       gradientScale: scale)
                    XCTAssertEqual(weightedTensor.value, weighted.value, golden.name)
                    XCTAssertEqual(try weightedTensor.gradient.toArray(), weighted.gradient.map { $0 * scale }, golden.name)
                }
            }
        }
    }

    func testTensorLossReportsBadInput() throws {
        let logits = try Tensor(shape: [1, 2], values: [0, .infinity])
        XCTAssertThrowsError(try WeightedCrossEntropy()(logits: logits, targets: MultiLabelTargets(values: [1, 0]))) {
            XCTAssertEqual($0 as? LossError, .nonFiniteLogit(index: 1, value: .infinity))
        }
        XCTAssertThrowsError(try BinaryCrossEntropyWithLogits()(logits: try Tensor(shape: [1, 2], values: [0, 1]),
                                                                targets: MultiLabelTargets(values: [1]))) {
            XCTAssertEqual($0 as? LossError, .shapeMismatch(what: "targets", expected: 2, actual: 1))
        }
    }

    func testSigmoidIsStableAtBothEnds() {
        XCTAssertEqual(sigmoid(0.0), 0.5)
        XCTAssertEqual(sigmoid(-800.0), 0, "e^800 overflows; the negative branch does not")
        XCTAssertEqual(sigmoid(800.0), 1)
        XCTAssertEqual(sigmoid(-30.0), 1 / (1 + exp(30.0)), accuracy: 1e-25)
        XCTAssertEqual(sigmoid(Float(2)), Float(1 / (1 + exp(-2.0))))
    }
}
