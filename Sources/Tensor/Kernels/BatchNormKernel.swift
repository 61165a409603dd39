internal import CDNNL

/// One batch-norm layer's math over (N, H, W) per channel, as `torch.nn.BatchNorm2d(affine: true)`:
/// oneDNN's batch normalization forward (training or inference) and backward, or the
/// hand-written double-sum kernels (BatchNormDoubleSums.swift), and the running statistics update.
///
/// Training normalizes with the batch's mean and biased variance and updates the running
/// statistics as PyTorch does — running = (1 − momentum)·running + momentum·batch, with the
/// unbiased variance (·n/(n−1), n = N·H·W) in the running variance. Evaluation normalizes with
/// the running statistics (oneDNN's use_global_stats), and backward then treats them as constants.
/// With `fusesReLU` it computes relu(batchnorm(x)) in one pass (oneDNN's fuse_norm_relu; the ReLU
/// mask is kept in a workspace, or recomputed bit for bit on the double-sum path, so backward stays
/// exact). The output keeps the input's layout.
public final class BatchNormKernel {
    public let featureCount: Int
    public let epsilon: Float
    public let momentum: Float
    public let fusesReLU: Bool
    /// γ, β, and the running mean and variance: plain, one value per channel.
    let scale, shift, runningMean, runningVariance: Tensor
    /// The last forward's plan (for the input shape and layout it was made for).
    private(set) var plan: Plan?

    /// What a forward keeps for its backward besides its input (which the caller keeps).
    public struct Record {
        /// Whether the forward normalized with batch statistics.
        let training: Bool
        /// The double-sum path's batch statistics and factors, or nil on oneDNN's path.
        let doubleSums: BatchNormKernels.ForwardRecord?
        /// The values per channel over every replica when the statistics were synchronized
        /// (`synchronizedForward`); nil otherwise.
        public internal(set) var synchronizedCount: Int? = nil
    }

    /// - Parameters: scale (γ), shift (β), runningMean, runningVariance: plain (featureCount)
    ///   tensors the kernel reads (and, in training, updates the running ones of) on every call.
    public init(featureCount: Int, epsilon: Float, momentum: Float, fusesReLU: Bool,
                scale: Tensor, shift: Tensor, runningMean: Tensor, runningVariance: Tensor) {
        self.featureCount = featureCount
        self.epsilon = epsilon
        self.momentum = momentum
        self.fusesReLU = fusesReLU
        (self.scale, self.shift, self.runningMean, self.runningVariance) = (scale, shift, runningMean, runningVariance)
    }

    // x: (N, C, H, W) -> y: (N, C, H, W), x's layout
    /// Normalizes `input`; in training with the batch statistics (and updates the running ones),
    /// else with the running ones.
    /// - Parameters:
    ///   - recording: a backward may follow (else forward_inference: no ReLU workspace written).
    ///   - accumulatesInDouble: training statistics and backward sums in double (plain, nChw8c
    ///     and nChw16c inputs; others keep oneDNN's float32 sums).
    /// - Returns: a new output (pooled buffer) and what backward needs besides the input.
    /// - Throws: `TensorError.shapeMismatch` for a wrong shape, or one value per channel in training.
    public func forward(_ input: Tensor, training: Bool, recording: Bool,
                        accumulatesInDouble: Bool) throws -> (output: Tensor, record: Record) {
        guard input.shape.count == 4, input.shape[1] == featureCount else {
            throw TensorError.shapeMismatch("BatchNorm2d expects an input of shape (N, \(featureCount), H, W), got \(input.shape)")
        }
        let count = input.shape[0] * input.shape[2] * input.shape[3]
        if training && count < 2 {
            throw TensorError.shapeMismatch("BatchNorm2d in training needs more than one value per channel, got input shape \(input.shape)")
        }
        let plan = try self.plan(for: input, training: training, recording: recording)
        // A new output each call (pooled buffer): backward reads only the input (and the ReLU
        // workspace), so the output lives only as long as its consumer keeps it.
        let output = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
        if training, accumulatesInDouble, let layout = plan.channelLayout {
            // x, y: the layout's floats; γ, β, μ, σ²: one per channel (featureCount, checked above).
            let record = BatchNormKernels.forward(input: input.floats(count: layout.floatCount),
                                                  output: output.floats(count: layout.floatCount),
                                                  gamma: scale.floats(count: featureCount),
                                                  beta: shift.floats(count: featureCount),
                                                  epsilon: Double(epsilon), relu: fusesReLU, layout)
            let mean = plan.mean.floats(count: featureCount)
            let variance = plan.variance.floats(count: featureCount)
            for channel in 0 ..< featureCount {
                mean[channel] = Float(record.mean[channel])
                variance[channel] = Float(record.variance[channel])
            }
            try updateRunningStatistics(plan, count: count)
            // Backward needs only the input and the record (the ReLU mask is recomputed from them).
            return (output, Record(training: true, doubleSums: record))
        }
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output),
                                            (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift)]
        if training {
            arguments += [(DNNL_ARG_MEAN, plan.mean), (DNNL_ARG_VARIANCE, plan.variance)]
        } else {
            arguments += [(DNNL_ARG_MEAN, runningMean), (DNNL_ARG_VARIANCE, runningVariance)]
        }
        if let workspace = plan.workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try plan.forward.execute(arguments)
        if training { try updateRunningStatistics(plan, count: count) }
        return (output, Record(training: training, doubleSums: nil))
    }

    // dy: (N, C, H, W) -> dx: (N, C, H, W); dγ, dβ accumulate
    /// The input gradient of the last recorded forward of `input`; adds dγ and dβ to
    /// `scaleGradient` and `shiftGradient` (plain, featureCount) when given.
    /// - Throws: `TensorError.shapeMismatch` for a gradient of another shape, or before a forward.
    public func backward(_ gradientOutput: Tensor, input: Tensor, record: Record,
                         scaleGradient: Tensor?, shiftGradient: Tensor?) throws -> Tensor {
        guard let plan else { throw TensorError.shapeMismatch("batch norm backward before any forward") }
        guard record.synchronizedCount == nil else {
            throw TensorError.invalidArgument("batch norm backward of a synchronized forward needs the replicas' sums (synchronizedBackward)")
        }
        guard gradientOutput.shape == input.shape else {
            throw TensorError.shapeMismatch("BatchNorm2d.backward expects a gradient of shape \(input.shape), got \(gradientOutput.shape)")
        }
        if let doubleSums = record.doubleSums, let layout = plan.channelLayout {
            return try backwardWithDoubleSums(gradientOutput, input: input, record: doubleSums, plan: plan, layout: layout,
                                              scaleGradient: scaleGradient, shiftGradient: shiftGradient)
        }
        let backward = try plan.backwardPlan()
        let gradient = try backward.gradientAdapter.adapt(gradientOutput)
        let mean = record.training ? plan.mean : runningMean
        let variance = record.training ? plan.variance : runningVariance
        // oneDNN 2.6 wants the shift as an input of backward too when scale and shift are separate.
        let inputGradient = try Tensor(descriptor: backward.inputGradientDescriptor, zeroed: false)
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, input), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
                                            (DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_SCALE, scale),
                                            (DNNL_ARG_SHIFT, shift), (DNNL_ARG_DIFF_SRC, inputGradient),
                                            (DNNL_ARG_DIFF_SCALE, backward.scaleGradient),
                                            (DNNL_ARG_DIFF_SHIFT, backward.shiftGradient)]
        if let workspace = plan.workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try backward.primitive.execute(arguments)
        if let scaleGradient { try accumulate(backward.scaleGradient, into: scaleGradient) }
        if let shiftGradient { try accumulate(backward.shiftGradient, into: shiftGradient) }
        return inputGradient
    }

    /// Training backward with double sums (`BatchNormKernels.backward`).
    private func backwardWithDoubleSums(_ gradientOutput: Tensor, input: Tensor, record: BatchNormKernels.ForwardRecord,
                                        plan: Plan, layout: ChannelBlockedLayout,
                                        scaleGradient: Tensor?, shiftGradient: Tensor?) throws -> Tensor {
        let gradient = try plan.inputLayoutAdapter.adapt(gradientOutput)
        // x, dy, dx: the layout's floats (all three in the input's layout); γ: one per channel.
        let x = UnsafePointer(input.floats(count: layout.floatCount))
        let dy = UnsafePointer(gradient.floats(count: layout.floatCount))
        let inputGradient = try Tensor(descriptor: input.descriptor, zeroed: false)
        let sums = BatchNormKernels.backward(input: x, gradient: dy, relu: fusesReLU, record: record,
                                             gamma: scale.floats(count: featureCount),
                                             epsilon: Double(epsilon),
                                             into: inputGradient.floats(count: layout.floatCount), layout)
        if let scaleGradient {
            try scaleGradient.withUnsafeMutableBufferPointer {
                precondition($0.count == featureCount && sums.gamma.count == featureCount)
                for i in 0 ..< featureCount { $0[i] += Float(sums.gamma[i]) }
            }
        }
        if let shiftGradient {
            try shiftGradient.withUnsafeMutableBufferPointer {
                precondition($0.count == featureCount && sums.beta.count == featureCount)
                for i in 0 ..< featureCount { $0[i] += Float(sums.beta[i]) }
            }
        }
        return inputGradient
    }

    private func accumulate(_ gradient: Tensor, into target: Tensor) throws {
        let source = gradient.floats(count: featureCount)  // oneDNN's dγ or dβ: one per channel
        try target.withUnsafeMutableBufferPointer { target in
            precondition(target.count == featureCount)
            for channel in 0..<featureCount { target[channel] += source[channel] }
        }
    }

    func updateRunningStatistics(_ plan: Plan, count: Int) throws {
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

    private func flags(training: Bool) -> UInt32 {
        dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | (training ? 0 : dnnl_use_global_stats.rawValue)
            | (fusesReLU ? dnnl_fuse_norm_relu.rawValue : 0)
    }

    func plan(for input: Tensor, training: Bool, recording: Bool) throws -> Plan {
        if let plan, plan.training == training, plan.recording == recording,
           MemoryDescriptor.equal(plan.inputDescriptor, input.descriptor) { return plan }
        plan = try Plan(input: input, epsilon: epsilon, flags: flags(training: training), training: training, recording: recording)
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
