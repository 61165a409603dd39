import Tensor

/// Batch normalization over (N, H, W) per channel, as `torch.nn.BatchNorm2d(affine: true)`.
///
/// Training: normalizes with the batch's mean and biased variance and updates the running
/// statistics as PyTorch does — running = (1 − momentum)·running + momentum·batch, with the
/// unbiased variance (·n/(n−1), n = N·H·W) in the running variance. Evaluation: normalizes with
/// the running statistics, and backward then treats them as constants. The math is
/// `BatchNormKernel`'s. Checkpoint names: weight, bias, running_mean, running_var.
///
/// With `fusesReLU` the layer computes relu(batchnorm(x)) in one pass, backward exact.
/// With `EngineOptions.batchNormAccumulatesInDouble` (training mode, plain or nChw8c/nChw16c
/// input) the batch statistics and backward's two per-channel sums are accumulated in double, as
/// PyTorch's CPU kernel does. Folded into the convolution before it (`foldBatchNorm()`), it passes
/// its input through in unrecorded evaluation: the convolution has applied it.
///
/// `statistics` chooses what training normalizes with: the batch's (default), the whole batch's
/// over the replicas of a data-parallel step (synchronized, double sums), or the running
/// statistics (frozen).
public final class BatchNorm2d: Layer {
    public let featureCount: Int
    public let epsilon: Float
    public let momentum: Float
    public let fusesReLU: Bool
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public var isTraining = true
    public private(set) var options = EngineOptions()
    /// What training mode normalizes with (evaluation always uses the running statistics).
    public var statistics = BatchNormStatistics.batch

    private let kernel: BatchNormKernel
    /// The convolution this batch norm is folded into (`foldBatchNorm()`), which holds it.
    weak var foldedInto: Conv2d?
    private var lastInput: Tensor?
    private var lastRecord: BatchNormKernel.Record?
    private var ranUnrecorded = false

    public init(featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, fusesReLU: Bool = false) throws {
        guard featureCount > 0 else { throw TensorError.invalidArgument("BatchNorm2d needs at least one feature") }
        self.featureCount = featureCount
        self.epsilon = epsilon
        self.momentum = momentum
        self.fusesReLU = fusesReLU
        weight = try Parameter(shape: [featureCount], values: Array(repeating: 1, count: featureCount))
        bias = try Parameter(shape: [featureCount], values: Array(repeating: 0, count: featureCount))
        runningMean = try Tensor(zeros: [featureCount])
        runningVariance = try Tensor(shape: [featureCount], repeating: 1)
        kernel = BatchNormKernel(featureCount: featureCount, epsilon: epsilon, momentum: momentum, fusesReLU: fusesReLU,
                                 scale: weight.value, shift: bias.value, runningMean: runningMean, runningVariance: runningVariance)
    }

    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }
    public var localBuffers: [(name: String, tensor: Tensor)] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    public func adopt(_ options: EngineOptions) { self.options = options }

    /// Whether forward keeps what backward needs (training, or recorded evaluation).
    public var recordsGradients: Bool { options.recordsGradients(training: isTraining) }

    // x: (N, C, H, W) -> y: (N, C, H, W), same layout as x
    public func forward(_ input: Tensor) throws -> Tensor {
        try requireShape(input, rank: 4, channels: featureCount, layer: "BatchNorm2d")
        if let foldedInto, foldedInto.foldsBatchNorm {
            skipRecording()
            return input
        }
        let recording = recordsGradients
        let output: Tensor, record: BatchNormKernel.Record
        switch (isTraining, statistics) {
        case (true, .synchronized(let synchronizer)):
            (output, record) = try kernel.synchronizedForward(input, recording: recording, sum: synchronizer.sumOverReplicas)
        case (true, .frozen):
            (output, record) = try kernel.forward(input, training: false, recording: recording, accumulatesInDouble: false)
        default:
            (output, record) = try kernel.forward(input, training: isTraining, recording: recording,
                                                  accumulatesInDouble: options.batchNormAccumulatesInDouble)
        }
        lastInput = recording ? input : nil
        lastRecord = recording ? record : nil
        ranUnrecorded = !recording
        return output
    }

    // dy: (N, C, H, W) -> dx: (N, C, H, W); dγ, dβ accumulate
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let input = lastInput, let record = lastRecord else { throw LayerError.backwardWithoutRecord("BatchNorm2d", ranUnrecorded) }
        defer {  // released once used, as PyTorch frees saved tensors
            lastInput = nil
            lastRecord = nil
        }
        let inputGradient = try backward(gradientOutput, input: input, record: record)
        for parameter in [weight, bias] where parameter.isTrainable { try parameter.gradientComputed() }
        return inputGradient
    }

    /// The kernel's backward for the record's forward: synchronized (the replicas' sums) or not.
    private func backward(_ gradientOutput: Tensor, input: Tensor, record: BatchNormKernel.Record) throws -> Tensor {
        if record.synchronizedCount != nil {
            guard case .synchronized(let synchronizer) = statistics else {
                throw TensorError.invalidArgument("BatchNorm2d.backward after a synchronized forward, but the layer's statistics changed since")
            }
            return try kernel.synchronizedBackward(gradientOutput, input: input, record: record,
                                                   scaleGradient: weight.isTrainable ? weight.gradient : nil,
                                                   shiftGradient: bias.isTrainable ? bias.gradient : nil,
                                                   sum: synchronizer.sumOverReplicas)
        }
        return try kernel.backward(gradientOutput, input: input, record: record,
                                   scaleGradient: weight.isTrainable ? weight.gradient : nil,
                                   shiftGradient: bias.isTrainable ? bias.gradient : nil)
    }

    /// Forgets the last forward's input: the layer ran folded into a convolution, so a backward
    /// now would use a stale input; it throws instead.
    func skipRecording() {
        lastInput = nil
        lastRecord = nil
        ranUnrecorded = true
    }
}
