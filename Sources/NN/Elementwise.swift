import Tensor

/// An element-wise activation layer: `ElementwiseKernel` forward and backward, keeping the
/// recorded output for backward (the kernel's backward reads y, not x).
///
/// A ReLU or ReLU6 right after a batch norm that `foldBatchNorm()` folded into a convolution is
/// applied by that convolution in unrecorded evaluation, and then passes its input through.
public class ElementwiseLayer: Layer {
    public var isTraining = true
    public private(set) var options = EngineOptions()
    private let kernel: ElementwiseKernel
    /// The convolution that applies this activation when its batch norm is folded (`foldBatchNorm()`).
    weak var foldedInto: Conv2d?
    /// The last recorded output, kept for backward until it runs.
    private var output: Tensor?
    private var ranUnrecorded = false

    init(_ name: String, function: ElementwiseKernel.Function) { kernel = ElementwiseKernel(name, function: function) }

    /// The function computed.
    public var function: ElementwiseKernel.Function { kernel.function }

    public func adopt(_ options: EngineOptions) { self.options = options }

    // x: any shape -> y: same shape and layout
    public func forward(_ input: Tensor) throws -> Tensor {
        if let foldedInto, foldedInto.foldsBatchNorm {
            output = nil
            ranUnrecorded = true
            return input
        }
        let recording = options.recordsGradients(training: isTraining)
        let output = try kernel.forward(input)
        self.output = recording ? output : nil
        ranUnrecorded = !recording
        return output
    }

    // dy -> dx
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let output, !ranUnrecorded else { throw LayerError.backwardWithoutRecord(kernel.name, ranUnrecorded) }
        defer { self.output = nil }  // released once used, as PyTorch frees saved tensors
        return try kernel.backward(gradientOutput, output: output)
    }
}

/// max(0, x), as `torch.nn.ReLU`. The gradient at exactly 0 is 0, as PyTorch's.
public final class ReLU: ElementwiseLayer {
    public init() { super.init("ReLU", function: .relu) }
}

/// min(max(0, x), 6), as `torch.nn.ReLU6` (EfficientNet/MobileNet).
public final class ReLU6: ElementwiseLayer {
    public init() { super.init("ReLU6", function: .relu6) }
}

/// 1 / (1 + exp(−x)), as `torch.nn.Sigmoid`.
public final class Sigmoid: ElementwiseLayer {
    public init() { super.init("Sigmoid", function: .sigmoid) }
}
