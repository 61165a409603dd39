import Foundation
import Tensor

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

    /// The known positive and negative labels.
    public var counts: LabelCounts {
        var counts = LabelCounts(positives: 0, negatives: 0)
        for i in values.indices where isKnown(i) {
            if values[i] == 1 { counts.positives += 1 } else { counts.negatives += 1 }
        }
        return counts
    }

    /// Whether label `i` counts.
    @inline(__always) func isKnown(_ i: Int) -> Bool { mask.map { $0[i] != 0 } ?? true }

    /// Checks sizes and values against `logits`.
    func validate(logits: UnsafeBufferPointer<Float>) throws {
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

/// How many known positive and negative labels a batch holds: W-CEL's |P| and |N|, and the
/// divisor of the mean losses (their sum). A data-parallel step sums them over the replicas and
/// hands the total to each replica's loss, so that the replicas' losses and gradients add up to
/// those of the whole batch.
public struct LabelCounts: Equatable, Sendable {
    public var positives: Int
    public var negatives: Int
    public init(positives: Int, negatives: Int) {
        self.positives = positives
        self.negatives = negatives
    }
    /// Labels that count: positives and negatives.
    public var known: Int { positives + negatives }
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
        try arrayLoss(logits: logits) { try loss($0, targets, $1, 1) }
    }

    /// The same loss on the network's output, without leaving tensors.
    /// - Parameters:
    ///   - logits: (N, C) scores before the sigmoid, any layout.
    ///   - targets: N·C values in row-major order; masked labels contribute nothing.
    ///   - gradientScale: multiplies the gradient (e.g. 1 / micro-batches of an accumulation).
    ///   - batchCounts: the label counts of the whole batch these logits are one share of (the
    ///     sum over a data-parallel step's replicas): the mean is taken over its known labels, so
    ///     the shares' losses and gradients add up to the whole batch's. nil: these targets'.
    /// - Returns: the loss and d loss / d logits × gradientScale, a new plain (N, C) tensor.
    /// - Throws: `LossError` for mismatched counts, targets other than 0/1, non-finite values.
    public func callAsFunction(logits: Tensor, targets: MultiLabelTargets, gradientScale: Float = 1,
                               batchCounts: LabelCounts? = nil) throws -> (value: Float, gradient: Tensor) {
        try tensorLoss(logits: logits) { try loss($0, targets, $1, gradientScale, batchCounts) }
    }

    private func loss(_ logits: UnsafeBufferPointer<Float>, _ targets: MultiLabelTargets,
                      _ gradient: UnsafeMutableBufferPointer<Float>, _ scale: Float, _ batchCounts: LabelCounts? = nil) throws -> Float {
        try targets.validate(logits: logits)
        let known = batchCounts?.known ?? logits.indices.reduce(0) { $0 + (targets.isKnown($1) ? 1 : 0) }
        return try weightedBinaryCrossEntropy(logits: logits, targets: targets,
                                              positiveWeight: 1, negativeWeight: 1,
                                              divisor: Double(max(known, 1)), gradient: gradient, scale: scale)
    }
}

/// Σ w·bce over known labels / divisor, and its gradient w·(σ(x) − y) / divisor × scale into
/// `gradient` (0 at masked labels), with w = `positiveWeight` for y = 1 and `negativeWeight`
/// for y = 0. Sums in Double.
func weightedBinaryCrossEntropy(logits: UnsafeBufferPointer<Float>, targets: MultiLabelTargets,
                                positiveWeight: Double, negativeWeight: Double, divisor: Double,
                                gradient: UnsafeMutableBufferPointer<Float>, scale: Float) throws -> Float {
    precondition(gradient.count == logits.count, "the gradient has the logits' count")
    var total = 0.0
    for i in logits.indices {
        guard targets.isKnown(i) else { gradient[i] = 0; continue }
        let x = Double(logits[i]), y = Double(targets.values[i])
        let weight = y == 1 ? positiveWeight : negativeWeight
        total += weight * (max(x, 0) - x * y + log1p(exp(-abs(x))))
        gradient[i] = Float(weight * (sigmoid(x) - y) / divisor) * scale
    }
    let value = Float(total / divisor)
    guard value.isFinite else { throw LossError.nonFiniteLoss(value) }
    return value
}

/// Runs a loss `kernel` (logits in, gradient out, value returned) on arrays.
func arrayLoss(logits: [Float],
               _ kernel: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) throws -> Float) throws -> LossResult {
    var gradient = [Float](repeating: 0, count: logits.count)
    let value = try logits.withUnsafeBufferPointer { input in
        try gradient.withUnsafeMutableBufferPointer { try kernel(input, $0) }
    }
    return LossResult(value: value, gradient: gradient)
}

/// Runs a loss `kernel` on a tensor: the logits read where they are (a blocked layout is read
/// from one plain copy), the gradient written into a new plain tensor of the same shape.
func tensorLoss(logits: Tensor,
                _ kernel: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) throws -> Float) throws -> (value: Float, gradient: Tensor) {
    let plain = logits.isPlain ? logits : try Tensor(shape: logits.shape, values: logits.toArray())
    let gradient = try Tensor(zeros: logits.shape)
    let value = try plain.withUnsafeMutableBufferPointer { input in
        try gradient.withUnsafeMutableBufferPointer { try kernel(UnsafeBufferPointer(input), $0) }
    }
    return (value, gradient)
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
