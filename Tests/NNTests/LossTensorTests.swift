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

    /// Every golden batch split into two uneven shares (⌈N/2⌉ and ⌊N/2⌋ rows, as two ranks
    /// take it): each share's loss with the whole batch's label counts gives exactly the whole
    /// batch's gradient rows, and the shares' values add up to the whole batch's value (to
    /// float rounding).
    func testSharesWithTheBatchCountsAddUpToTheWholeBatch() throws {
        XCTAssertFalse(LossGoldenValues.cases.isEmpty)
        for golden in LossGoldenValues.cases {
            let columns = golden.classes, first = (golden.batch + 1) / 2
            let targets = MultiLabelTargets(values: golden.targets, mask: golden.mask)
            let whole = try Tensor(shape: [golden.batch, columns], values: golden.logits)
            let counts = targets.counts
            XCTAssertEqual(counts.known, golden.mask.filter { $0 != 0 }.count, golden.name)
            let shares = try [0 ..< first, first ..< golden.batch].map { rows -> (Tensor, MultiLabelTargets) in
                let range = rows.lowerBound * columns ..< rows.upperBound * columns
                return (try Tensor(shape: [rows.count, columns], values: Array(golden.logits[range])),
                        MultiLabelTargets(values: Array(golden.targets[range]), mask: Array(golden.mask[range])))
            }
            let bce = try BinaryCrossEntropyWithLogits()(logits: whole, targets: targets, gradientScale: 0.5)
            let bceShares = try shares.map {
                try BinaryCrossEntropyWithLogits()(logits: $0.0, targets: $0.1, gradientScale: 0.5, batchCounts: counts)
            }
            XCTAssertEqual(try bceShares.flatMap { try $0.gradient.toArray() }, try bce.gradient.toArray(), golden.name)
            XCTAssertEqual(bceShares.map(\.value).reduce(0, +), bce.value, accuracy: 1e-6 * max(1, abs(bce.value)), golden.name)
            let weighted = try WeightedCrossEntropy()(logits: whole, targets: targets)
            let weightedShares = try shares.map { try WeightedCrossEntropy()(logits: $0.0, targets: $0.1, batchCounts: counts) }
            XCTAssertEqual(try weightedShares.flatMap { try $0.gradient.toArray() }, try weighted.gradient.toArray(), golden.name)
            XCTAssertEqual(weightedShares.map(\.value).reduce(0, +), weighted.value, accuracy: 1e-6 * max(1, abs(weighted.value)),
                           golden.name)
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
