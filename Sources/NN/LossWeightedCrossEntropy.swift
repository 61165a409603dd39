import Tensor

/// The paper's weighted cross-entropy loss (W-CEL, Wang et al. 2017, eq. 1):
///
///     L = β_P · Σ_{y_c = 1} −ln σ(x_c) + β_N · Σ_{y_c = 0} −ln(1 − σ(x_c)),
///     β_P = (|P| + |N|) / |P|,  β_N = (|P| + |N|) / |N|,
///
/// with |P| and |N| the numbers of known positive and negative labels in the batch, so the
/// rare positives weigh as much in total as the many negatives. A batch without positives (or
/// negatives) has β_P (β_N) = 0: there are no such terms to weigh.
public struct WeightedCrossEntropy: Sendable {
    /// `.sum` is the paper's formula as written; `.mean` divides it by |P| + |N| so that the
    /// learning rate does not depend on the batch size.
    public enum Reduction: Sendable { case sum, mean }

    public var reduction: Reduction

    public init(reduction: Reduction = .mean) {
        self.reduction = reduction
    }

    /// The loss for (N, C) row-major `logits` and `targets`; masked labels are not counted in
    /// |P| or |N| and contribute nothing. With no known label: 0 and a zero gradient.
    /// - Throws: `LossError` for mismatched counts, targets other than 0/1, non-finite values.
    public func callAsFunction(logits: [Float], targets: MultiLabelTargets) throws -> LossResult {
        try arrayLoss(logits: logits) { try loss($0, targets, $1, 1) }
    }

    /// The same loss on the network's output, without leaving tensors.
    /// - Parameters:
    ///   - logits: (N, C) scores before the sigmoid, any layout.
    ///   - targets: N·C values in row-major order; masked labels contribute nothing.
    ///   - gradientScale: multiplies the gradient (e.g. 1 / micro-batches of an accumulation).
    ///   - batchCounts: |P| and |N| of the whole batch these logits are one share of (the sum
    ///     over a data-parallel step's replicas): β_P, β_N and the mean's divisor are the whole
    ///     batch's, so the shares' losses and gradients add up to the whole batch's. nil: these
    ///     targets'.
    /// - Returns: the loss and d loss / d logits × gradientScale, a new plain (N, C) tensor.
    /// - Throws: `LossError` for mismatched counts, targets other than 0/1, non-finite values.
    public func callAsFunction(logits: Tensor, targets: MultiLabelTargets, gradientScale: Float = 1,
                               batchCounts: LabelCounts? = nil) throws -> (value: Float, gradient: Tensor) {
        try tensorLoss(logits: logits) { try loss($0, targets, $1, gradientScale, batchCounts) }
    }

    private func loss(_ logits: UnsafeBufferPointer<Float>, _ targets: MultiLabelTargets,
                      _ gradient: UnsafeMutableBufferPointer<Float>, _ scale: Float, _ batchCounts: LabelCounts? = nil) throws -> Float {
        try targets.validate(logits: logits)
        let counts = batchCounts ?? targets.counts
        let positives = counts.positives, negatives = counts.negatives
        let total = Double(positives + negatives)
        return try weightedBinaryCrossEntropy(
            logits: logits, targets: targets,
            positiveWeight: positives > 0 ? total / Double(positives) : 0,
            negativeWeight: negatives > 0 ? total / Double(negatives) : 0,
            divisor: reduction == .mean ? max(total, 1) : 1, gradient: gradient, scale: scale)
    }
}
