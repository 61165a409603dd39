import CDNNL
import Foundation
import Tensor

/// Batch normalization over (N, H, W) per channel, as `torch.nn.BatchNorm2d(affine: true)`.
///
/// Training: normalizes with the batch's mean and biased variance and updates the running
/// statistics as PyTorch does — running = (1 − momentum)·running + momentum·batch, with the
/// unbiased variance (·n/(n−1), n = N·H·W) in the running variance. Evaluation: normalizes with
/// the running statistics (oneDNN's use_global_stats), and backward then treats them as constants.
/// Checkpoint names: weight, bias, running_mean, running_var.
///
/// With `fusesReLU` the layer computes relu(batchnorm(x)) in one pass (oneDNN's fuse_norm_relu;
/// the ReLU mask is kept in a workspace, or recomputed bit for bit on the double-sum path, so
/// backward stays exact).
///
/// With `accumulatesInDouble` (training mode, plain or nChw8c/nChw16c input) the batch statistics
/// and backward's two per-channel sums are accumulated in double, as PyTorch's CPU kernel does, by
/// the hand-written kernels of BatchNorm2d+DoubleSums.swift instead of oneDNN's.
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

    /// Process-wide: training-mode statistics and backward sums in double (see above). Off unless
    /// the environment sets `THORAX_BATCHNORM_DOUBLE=1`: it costs ≈ 7 % of a DenseNet-121 training
    /// step on 2 threads (5 % on 1), for gradients as close to float64 as PyTorch's.
    nonisolated(unsafe) public static var accumulatesInDouble =
        EngineSwitches.process.batchNormAccumulatesInDouble

    private var plan: Plan?
    private var lastInput: Tensor?
    /// The double-sum path's record for backward: the batch statistics and (fused ReLU) the output.
    private var doubleRecord: BatchNormKernels.ForwardRecord?
    private var lastWasTraining = true
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
    }

    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }
    public var localBuffers: [(name: String, tensor: Tensor)] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    // x: (N, C, H, W) -> y: (N, C, H, W), same layout as x
    public func forward(_ input: Tensor) throws -> Tensor {
        try requireShape(input, rank: 4, channels: featureCount, layer: "BatchNorm2d")
        let count = input.shape[0] * input.shape[2] * input.shape[3]
        if isTraining && count < 2 {
            throw TensorError.shapeMismatch("BatchNorm2d in training needs more than one value per channel, got input shape \(input.shape)")
        }
        let plan = try self.plan(for: input)
        // A new output each call (pooled buffer): backward reads only the input (and the ReLU
        // workspace), so the output lives only as long as its consumer keeps it.
        let recording = GradientRecording.isRecording(training: isTraining)
        let output = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
        doubleRecord = nil
        if isTraining, BatchNorm2d.accumulatesInDouble, let layout = plan.channelLayout {
            // x, y: the layout's floats; γ, β, μ, σ²: one per channel (featureCount, checked above).
            let record = BatchNormKernels.forward(input: input.floats(count: layout.floatCount),
                                                      output: output.floats(count: layout.floatCount),
                                                      gamma: weight.value.floats(count: featureCount),
                                                      beta: bias.value.floats(count: featureCount),
                                                      epsilon: Double(epsilon), relu: fusesReLU, layout)
            let mean = plan.mean.floats(count: featureCount)
            let variance = plan.variance.floats(count: featureCount)
            for channel in 0 ..< featureCount {
                mean[channel] = Float(record.mean[channel])
                variance[channel] = Float(record.variance[channel])
            }
            try updateRunningStatistics(plan, count: count)
            // Backward needs only the input and the record (the ReLU mask is recomputed from them).
            doubleRecord = recording ? record : nil
            lastInput = recording ? input : nil
            ranUnrecorded = !recording
            lastWasTraining = true
            return output
        }
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output),
                                            (DNNL_ARG_SCALE, weight.value), (DNNL_ARG_SHIFT, bias.value)]
        if isTraining {
            arguments += [(DNNL_ARG_MEAN, plan.mean), (DNNL_ARG_VARIANCE, plan.variance)]
        } else {
            arguments += [(DNNL_ARG_MEAN, runningMean), (DNNL_ARG_VARIANCE, runningVariance)]
        }
        if let workspace = plan.workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try plan.forward.execute(arguments)
        if isTraining { try updateRunningStatistics(plan, count: count) }
        lastInput = recording ? input : nil
        ranUnrecorded = !recording
        lastWasTraining = isTraining
        return output
    }

    // dy: (N, C, H, W) -> dx: (N, C, H, W); dγ, dβ accumulate
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let plan, let input = lastInput else { throw LayerError.backwardWithoutRecord("BatchNorm2d", ranUnrecorded) }
        guard gradientOutput.shape == input.shape else {
            throw TensorError.shapeMismatch("BatchNorm2d.backward expects a gradient of shape \(input.shape), got \(gradientOutput.shape)")
        }
        defer {  // released once used, as PyTorch frees saved tensors
            lastInput = nil
            doubleRecord = nil
        }
        if let record = doubleRecord, let layout = plan.channelLayout {
            return try backwardWithDoubleSums(gradientOutput, input: input, record: record, plan: plan, layout: layout)
        }
        let backward = try plan.backwardPlan()
        let gradient = try backward.gradientAdapter.adapt(gradientOutput)
        let mean = lastWasTraining ? plan.mean : runningMean
        let variance = lastWasTraining ? plan.variance : runningVariance
        // oneDNN 2.6 wants the shift as an input of backward too when scale and shift are separate.
        let inputGradient = try Tensor(descriptor: backward.inputGradientDescriptor, zeroed: false)
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, input), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
                                            (DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_SCALE, weight.value),
                                            (DNNL_ARG_SHIFT, bias.value), (DNNL_ARG_DIFF_SRC, inputGradient),
                                            (DNNL_ARG_DIFF_SCALE, backward.scaleGradient),
                                            (DNNL_ARG_DIFF_SHIFT, backward.shiftGradient)]
        if let workspace = plan.workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try backward.primitive.execute(arguments)
        try accumulate(backward.scaleGradient, into: weight)
        try accumulate(backward.shiftGradient, into: bias)
        return inputGradient
    }

    /// Training backward with double sums (`BatchNormKernels.backward`).
    private func backwardWithDoubleSums(_ gradientOutput: Tensor, input: Tensor,
                                        record: BatchNormKernels.ForwardRecord,
                                        plan: Plan, layout: ChannelBlockedLayout) throws -> Tensor {
        let gradient = try plan.inputLayoutAdapter.adapt(gradientOutput)
        // x, dy, dx: the layout's floats (all three in the input's layout); γ: one per channel.
        let x = UnsafePointer(input.floats(count: layout.floatCount))
        let dy = UnsafePointer(gradient.floats(count: layout.floatCount))
        let inputGradient = try Tensor(descriptor: input.descriptor, zeroed: false)
        let sums = BatchNormKernels.backward(input: x, gradient: dy, relu: fusesReLU, record: record,
                                             gamma: weight.value.floats(count: featureCount),
                                             epsilon: Double(epsilon),
                                             into: inputGradient.floats(count: layout.floatCount), layout)
        if weight.isTrainable {
            try weight.gradient.withUnsafeMutableBufferPointer {
                precondition($0.count == featureCount && sums.gamma.count == featureCount)
                for i in 0 ..< featureCount { $0[i] += Float(sums.gamma[i]) }
            }
        }
        if bias.isTrainable {
            try bias.gradient.withUnsafeMutableBufferPointer {
                precondition($0.count == featureCount && sums.beta.count == featureCount)
                for i in 0 ..< featureCount { $0[i] += Float(sums.beta[i]) }
            }
        }
        return inputGradient
    }

    /// Forgets the last forward's input: the layer ran fused into a convolution
    /// (`Conv2d.forward(_:fusing:)`), so a backward now would use a stale input; it throws instead.
    func skipRecording() {
        lastInput = nil
        ranUnrecorded = true
    }

    private func accumulate(_ gradient: Tensor, into parameter: Parameter) throws {
        guard parameter.isTrainable else { return }
        let source = gradient.floats(count: featureCount)  // oneDNN's dγ or dβ: one per channel
        try parameter.gradient.withUnsafeMutableBufferPointer { target in
            precondition(target.count == featureCount)
            for channel in 0..<featureCount { target[channel] += source[channel] }
        }
    }

    private func updateRunningStatistics(_ plan: Plan, count: Int) throws {
        // One statistic per channel; the running ones are featureCount long (checked below).
        let mean = plan.mean.floats(count: featureCount)
        let variance = plan.variance.floats(count: featureCount)
        let unbiasing = Float(count) / Float(count - 1)
        let keep = 1 - momentum
        try runningMean.withUnsafeMutableBufferPointer { running in
            precondition(running.count == featureCount)
            for channel in 0..<featureCount { running[channel] = keep * running[channel] + momentum * mean[channel] }
        }
        try runningVariance.withUnsafeMutableBufferPointer { running in
            precondition(running.count == featureCount)
            for channel in 0..<featureCount {
                running[channel] = keep * running[channel] + momentum * variance[channel] * unbiasing
            }
        }
    }

    private var flags: UInt32 {
        dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | (isTraining ? 0 : dnnl_use_global_stats.rawValue)
            | (fusesReLU ? dnnl_fuse_norm_relu.rawValue : 0)
    }

    private func plan(for input: Tensor) throws -> Plan {
        let recording = GradientRecording.isRecording(training: isTraining)
        if let plan, plan.training == isTraining, plan.recording == recording,
           MemoryDescriptor.equal(plan.inputDescriptor, input.descriptor) { return plan }
        plan = try Plan(input: input, epsilon: epsilon, flags: flags, training: isTraining, recording: recording)
        return plan!
    }

    final class Plan {
        let inputDescriptor: dnnl_memory_desc_t
        let training: Bool
        let epsilon: Float
        let flags: UInt32
        let forward: Primitive
        let outputDescriptor: dnnl_memory_desc_t
        let mean: Tensor
        let variance: Tensor
        /// The fused ReLU's mask, written by forward and read by backward.
        let workspace: Tensor?
        private var backward: BackwardPlan?

        /// Whether backward may follow (else forward_inference: no ReLU workspace written).
        let recording: Bool
        /// The input's layout for the double-sum kernels; nil when they cannot read it, or when
        /// the output's layout differs from the input's.
        let channelLayout: ChannelBlockedLayout?
        /// Brings backward's incoming gradient into the input's layout (double-sum path).
        let inputLayoutAdapter: LayoutAdapter

        init(input: Tensor, epsilon: Float, flags: UInt32, training: Bool, recording: Bool) throws {
            self.recording = recording
            inputDescriptor = input.descriptor
            self.training = training
            self.epsilon = epsilon
            self.flags = flags
            var data = input.descriptor
            var operation = dnnl_batch_normalization_desc_t()
            // forward_training also in recorded evaluation, so that backward (frozen statistics) has its hint.
            try checkDNNL(dnnl_batch_normalization_forward_desc_init(&operation, recording ? dnnl_forward_training : dnnl_forward_inference,
                                                                     &data, epsilon, flags),
                          "dnnl_batch_normalization_forward_desc_init")
            forward = try Primitive("batch normalization forward", operation: operation)
            outputDescriptor = forward.memoryDescriptor(dnnl_query_dst_md)
            let workspaceDescriptor = forward.memoryDescriptor(dnnl_query_workspace_md)
            workspace = workspaceDescriptor.ndims > 0 ? try Tensor(descriptor: workspaceDescriptor) : nil
            let channels = input.shape[1]
            mean = try Tensor(zeros: [channels])
            variance = try Tensor(zeros: [channels])
            channelLayout = MemoryDescriptor.equal(outputDescriptor, input.descriptor) ? ChannelBlockedLayout(input.descriptor) : nil
            inputLayoutAdapter = LayoutAdapter(target: input.descriptor)
        }

        func backwardPlan() throws -> BackwardPlan {
            if let backward { return backward }
            backward = try BackwardPlan(self)
            return backward!
        }
    }

    final class BackwardPlan {
        let primitive: Primitive
        let gradientAdapter: LayoutAdapter
        let inputGradientDescriptor: dnnl_memory_desc_t
        let scaleGradient: Tensor
        let shiftGradient: Tensor

        init(_ plan: Plan) throws {
            var data = plan.inputDescriptor
            var diff = plan.outputDescriptor
            var operation = dnnl_batch_normalization_desc_t()
            try checkDNNL(dnnl_batch_normalization_backward_desc_init(&operation, dnnl_backward, &diff, &data, plan.epsilon, plan.flags),
                          "dnnl_batch_normalization_backward_desc_init")
            primitive = try Primitive("batch normalization backward", operation: operation, hint: plan.forward)
            gradientAdapter = LayoutAdapter(target: primitive.memoryDescriptor(dnnl_query_diff_dst_md))
            inputGradientDescriptor = primitive.memoryDescriptor(dnnl_query_diff_src_md)
            let channels = plan.mean.shape[0]
            scaleGradient = try Tensor(zeros: [channels])
            shiftGradient = try Tensor(zeros: [channels])
        }
    }
}
