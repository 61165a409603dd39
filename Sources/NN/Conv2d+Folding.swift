import Tensor

/// What an evaluation-mode convolution applies to its result inside the same primitive, in this
/// order: a batch norm with running statistics (folded into the weights and bias), the sum with a
/// residual tensor, an activation (`ConvolutionKernel.inference`).
public struct ConvolutionFusion {
    public typealias Activation = ConvolutionKernel.Activation

    /// The batch norm that follows the convolution (its running statistics, weight and bias).
    public var batchNorm: BatchNorm2d?
    /// A tensor of the output's shape added after the batch norm (ResNet's shortcut).
    public var residual: Tensor?
    /// Whether the output may be written over `residual` (the caller never reads it again): then,
    /// when its layout is the convolution's output layout, no copy of it is made.
    public var overwritesResidual: Bool
    public var activation: Activation

    public init(batchNorm: BatchNorm2d? = nil, residual: Tensor? = nil, relu: Bool = false) {
        self.init(batchNorm: batchNorm, residual: residual, overwritesResidual: false, activation: relu ? .relu : .none)
    }

    public init(batchNorm: BatchNorm2d?, residual: Tensor?, overwritesResidual: Bool, activation: Activation) {
        self.batchNorm = batchNorm
        self.residual = residual
        self.overwritesResidual = overwritesResidual
        self.activation = activation
    }
}

/// A batch norm folded into the convolution before it (`Module.foldBatchNorm()`), and the
/// activation after the batch norm (its fused ReLU, or a ReLU/ReLU6 layer that then passes its
/// input through) that the convolution applies too.
struct BatchNormFold {
    let batchNorm: BatchNorm2d
    let activation: ConvolutionFusion.Activation
}

extension Conv2d {
    /// Whether forward computes the folded batch norm (and activation) now: `foldBatchNorm()`
    /// linked a batch norm to this convolution and both are in unrecorded evaluation. In training
    /// or recorded evaluation they run one after the other as linked, and the batch norm uses
    /// batch statistics and updates the running ones as always.
    public var foldsBatchNorm: Bool {
        guard let fold else { return false }
        return !recordsGradients && !fold.batchNorm.recordsGradients
    }

    /// The batch norm folded into this convolution by `foldBatchNorm()`, or nil.
    public var foldedBatchNorm: BatchNorm2d? { fold?.batchNorm }

    // x: (N, C_in, H, W) -> y = act(conv(x) with the folded batch norm + residual): (N, C_out, H_out, W_out)
    /// The folded forward with a residual added before the activation, for blocks whose
    /// residual sum follows the folded batch norm (ResNet's shortcut, EfficientNet's skip): the
    /// sum is the inference primitive's post-operation.
    /// - Precondition: `foldsBatchNorm`.
    public func forwardFolded(_ input: Tensor, residual: Tensor, overwritesResidual: Bool,
                              activation: ConvolutionFusion.Activation) throws -> Tensor {
        precondition(foldsBatchNorm, "forwardFolded without a folded batch norm in unrecorded evaluation")
        return try forward(input, fusing: ConvolutionFusion(batchNorm: fold!.batchNorm, residual: residual,
                                                            overwritesResidual: overwritesResidual, activation: activation))
    }

    // x: (N, C_in, H, W) -> y = act(bn(conv(x)) + residual): (N, C_out, H_out, W_out)
    /// The convolution followed by the fused operations in one primitive, for inference
    /// (`ConvolutionKernel.inference`: the batch norm folded into weights and bias from its
    /// current parameters and running statistics, the residual as a sum post-operation, the
    /// activation as an eltwise one). The output is a new tensor each call unless it is the
    /// residual; nothing is kept for backward (a backward now throws).
    /// - Throws: `TensorError.shapeMismatch` for a wrong input, a batch norm of another width or
    ///   a residual of another shape.
    public func forward(_ input: Tensor, fusing fusion: ConvolutionFusion) throws -> Tensor {
        try requireShape(input, rank: 4, channels: inputChannels, layer: "Conv2d")
        if let batchNorm = fusion.batchNorm, batchNorm.featureCount != outputChannels {
            throw TensorError.shapeMismatch("Conv2d with \(outputChannels) outputs cannot fuse a BatchNorm2d of \(batchNorm.featureCount) features")
        }
        skipRecording()
        fusion.batchNorm?.skipRecording()
        let statistics = fusion.batchNorm.map {
            ConvolutionKernel.BatchNormStatistics(mean: $0.runningMean, variance: $0.runningVariance, scale: $0.weight.value,
                                                  shift: $0.bias.value, epsilon: $0.epsilon)
        }
        return try kernel.inference(input, weight: weight.value, bias: bias?.value, batchNorm: statistics,
                                    residual: fusion.residual, overwritesResidual: fusion.overwritesResidual,
                                    activation: fusion.activation)
    }
}
