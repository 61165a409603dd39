import Tensor

/// Element-wise sum of two tensors of the same shape — the residual connection of ResNet —
/// optionally followed by a ReLU (ResNet's relu(out + identity)) fused where exact
/// (`ElementwiseAddition`). The output has the first input's layout; the second is reordered
/// to it when it differs.
///
/// With `overwritesFirstInput` the sum is written into the first input's buffer (as PyTorch's
/// `out += identity`), saving one activation-sized buffer per call — for a first input that
/// nothing reads afterwards, such as a batch norm's output (its backward needs only its input).
public final class Add: Module {
    public let fusesReLU: Bool
    public let overwritesFirstInput: Bool
    public var isTraining = true
    public private(set) var options = EngineOptions()

    private var addition: ElementwiseAddition?
    private var secondAdapter: LayoutAdapter?
    private let reluBackward = ReLUBackward()
    /// The last recorded output, kept for the fused ReLU's backward.
    private var output: Tensor?
    private var ranUnrecorded = false
    private var recordedShape: [Int]?

    public init(fusesReLU: Bool = false, overwritesFirstInput: Bool = false) {
        self.fusesReLU = fusesReLU
        self.overwritesFirstInput = overwritesFirstInput
    }

    public func adopt(_ options: EngineOptions) { self.options = options }

    // a, b: same shape -> a + b (or relu(a + b)), a's layout
    public func forward(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.shape == b.shape else { throw TensorError.shapeMismatch("Add needs equal shapes, got \(a.shape) and \(b.shape)") }
        if addition == nil || addition!.layout != a.layout {
            addition = try ElementwiseAddition(layout: a.layout, appliesReLU: fusesReLU)
            secondAdapter = LayoutAdapter(target: a.layout)
            output = nil
        }
        let second = try secondAdapter!.adapt(b)
        // Unrecorded evaluation: a new output each call (pooled), nothing kept for backward.
        let recording = options.recordsGradients(training: isTraining)
        ranUnrecorded = !recording
        let output = overwritesFirstInput ? a : try Tensor(layout: a.layout, zeroed: false)
        // Backward needs the output only for the fused ReLU's mask.
        self.output = recording && fusesReLU ? output : nil
        recordedShape = recording ? a.shape : nil
        try addition!.run(a, second, into: output)
        return output
    }

    /// The gradient for both inputs (one tensor, returned twice; with the fused ReLU, dy·(y > 0)).
    public func backward(_ gradientOutput: Tensor) throws -> (Tensor, Tensor) {
        guard let shape = recordedShape, !ranUnrecorded else {
            throw LayerError.backwardWithoutRecord("Add", ranUnrecorded)
        }
        guard gradientOutput.shape == shape else {
            throw TensorError.shapeMismatch("Add.backward expects a gradient of shape \(shape), got \(gradientOutput.shape)")
        }
        guard fusesReLU else { return (gradientOutput, gradientOutput) }
        guard let output else { throw LayerError.backwardBeforeForward("Add") }
        defer { self.output = nil }  // released once used, as PyTorch frees saved tensors
        let gradient = try reluBackward.run(output: output, gradientOutput: gradientOutput)
        return (gradient, gradient)
    }
}
