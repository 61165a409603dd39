import Tensor

/// Concatenation along the channel axis (DenseNet's torch.cat(features, 1), `ConcatKernel`);
/// backward hands each input its slice of the gradient, in that input's layout, or adds the
/// slices into gradients the caller holds.
public final class Concat: Module {
    public var isTraining = true
    public private(set) var options = EngineOptions()
    private let kernel = ConcatKernel()
    private var ranForward = false
    private var ranUnrecorded = false

    public init() {}

    public func adopt(_ options: EngineOptions) { self.options = options }

    // inputs: (N, C_i, H, W) -> (N, ΣC_i, H, W)
    /// A new output each call (pooled buffer); in unrecorded evaluation nothing is kept for backward.
    public func forward(_ inputs: [Tensor]) throws -> Tensor {
        let output = try kernel.forward(inputs)
        ranForward = true
        ranUnrecorded = !options.recordsGradients(training: isTraining)
        return output
    }

    /// The gradient of each input, in the input's layout (new tensors each call, buffers pooled).
    public func backward(_ gradientOutput: Tensor) throws -> [Tensor] {
        guard ranForward, !ranUnrecorded else { throw LayerError.backwardWithoutRecord("Concat", ranUnrecorded) }
        return try kernel.backward(gradientOutput)
    }

    /// Adds each input's slice of the gradient into `targets[k]` (input k's shape, any layout),
    /// without copying the slice out first (DenseNet: each dense layer's input gradient goes into
    /// the gradients of all the maps it read).
    /// - Throws: `TensorError.shapeMismatch` for a wrong gradient shape or target count/shape.
    public func backward(_ gradientOutput: Tensor, accumulatingInto targets: [Tensor]) throws {
        guard ranForward, !ranUnrecorded else { throw LayerError.backwardWithoutRecord("Concat", ranUnrecorded) }
        try kernel.backward(gradientOutput, accumulatingInto: targets)
    }
}
