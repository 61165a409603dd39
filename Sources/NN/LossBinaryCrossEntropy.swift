import Foundation

/// A loss value and its gradient with respect to the logits.
public struct LossResult: Sendable {
    /// The loss.
    public var value: Float
    /// d value / d logits, same layout as the logits (N, C) row-major.
    public var gradient: [Float]
}

/// Why a loss could not be computed: shapes that do not match, targets that are not 0/1,
/// or a non-finite logit or loss (which during training means the run has diverged).
public enum LossError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(what: String, expected: Int, actual: Int)
    case invalidTarget(index: Int, value: Float)
    case nonFiniteLogit(index: Int, value: Float)
    case nonFiniteLoss(Float)

    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, actual):
            return "loss: \(what) has \(actual) values, expected \(expected)"
        case let .invalidTarget(index, value):
            return "loss: target \(index) (row-major index) is \(value); known targets must be 0 or 1 (mask unknown or uncertain labels)"
        case let .nonFiniteLogit(index, value):
            return "loss: logit \(index) is \(value); the network diverged or its input is broken"
        case let .nonFiniteLoss(value):
            return "loss: the loss is \(value)"
        }
    }
}

/// Multi-label targets of a batch: `values[n * classes + c]` is 1 (present) or 0 (absent) where
/// `mask` is 1, and ignored where `mask` is 0 (unknown or uncertain labels).
public struct MultiLabelTargets: Sendable {
    public var values: [Float]
    /// 1 where the label is known, 0 where it is not; nil means every label is known.
    public var mask: [Float]?

    public init(values: [Float], mask: [Float]? = nil) {
        self.values = values
        self.mask = mask
    }

    /// Whether label `i` counts.
    @inline(__always) func isKnown(_ i: Int) -> Bool { mask.map { $0[i] != 0 } ?? true }

    /// Checks sizes and values against `logits`.
    func validate(logits: [Float]) throws {
        guard values.count == logits.count else {
            throw LossError.shapeMismatch(what: "targets", expected: logits.count, actual: values.count)
        }
        if let mask, mask.count != logits.count {
            throw LossError.shapeMismatch(what: "mask", expected: logits.count, actual: mask.count)
        }
        for i in logits.indices {
            guard logits[i].isFinite else { throw LossError.nonFiniteLogit(index: i, value: logits[i]) }
            if isKnown(i), values[i] != 0, values[i] != 1 { throw LossError.invalidTarget(index: i, value: values[i]) }
        }
    }
}

/// Binary cross-entropy on logits, `max(x, 0) − x·y + log(1 + exp(−|x|))` per label (the
/// numerically stable form of −y·ln σ(x) − (1−y)·ln(1−σ(x))), averaged over the known labels,
/// as PyTorch's `binary_cross_entropy_with_logits(x, y, weight=mask, reduction="sum") / mask.sum()`.
public struct BinaryCrossEntropyWithLogits: Sendable {
    public init() {}

    /// - Parameters:
    ///   - logits: (N, C) row-major scores before the sigmoid.
    ///   - targets: same count; masked labels contribute nothing.
    /// - Returns: the mean over known labels (0 with a zero gradient when none is known).
    /// - Throws: `LossError` for mismatched counts, targets other than 0/1, non-finite values.
    public func callAsFunction(logits: [Float], targets: MultiLabelTargets) throws -> LossResult {
        try targets.validate(logits: logits)
        let known = logits.indices.reduce(0) { $0 + (targets.isKnown($1) ? 1 : 0) }
        return try weightedBinaryCrossEntropy(logits: logits, targets: targets,
                                              positiveWeight: 1, negativeWeight: 1,
                                              divisor: Double(max(known, 1)))
    }
}

/// Σ w·bce over known labels / divisor, and its gradient w·(σ(x) − y) / divisor, with
/// w = `positiveWeight` for y = 1 and `negativeWeight` for y = 0. Sums in Double.
func weightedBinaryCrossEntropy(logits: [Float], targets: MultiLabelTargets,
                                positiveWeight: Double, negativeWeight: Double,
                                divisor: Double) throws -> LossResult {
    var total = 0.0
    var gradient = [Float](repeating: 0, count: logits.count)
    for i in logits.indices where targets.isKnown(i) {
        let x = Double(logits[i]), y = Double(targets.values[i])
        let weight = y == 1 ? positiveWeight : negativeWeight
        total += weight * (max(x, 0) - x * y + log1p(exp(-abs(x))))
        gradient[i] = Float(weight * (sigmoid(x) - y) / divisor)
    }
    let value = Float(total / divisor)
    guard value.isFinite else { throw LossError.nonFiniteLoss(value) }
    return LossResult(value: value, gradient: gradient)
}

/// The logistic function σ(x) = 1 / (1 + e^−x), in the form that does not overflow:
/// e^x / (1 + e^x) for negative x. The losses' gradients and the models' probabilities both
/// use it, so a probability is exactly the σ the loss trained.
public func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

/// σ(x) of a single-precision logit, computed in double precision and rounded once.
public func sigmoid(_ x: Float) -> Float {
    Float(sigmoid(Double(x)))
}
