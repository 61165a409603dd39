extension BatchNormKernel {
    /// Replaces per-channel sums, in place, with their totals over every replica of a
    /// data-parallel step; every replica calls it at the same points in the same order. With
    /// one replica it leaves them as they are.
    public typealias ReplicaSum = (inout [Double]) throws -> Void

    // x: (N, C, H, W) -> y: (N, C, H, W), x's layout
    /// Training forward with the statistics of the whole batch whose share on this replica
    /// `input` is (as `torch.nn.SyncBatchNorm`): per channel Σ(x − k) and Σ(x − k)² in double,
    /// k the running mean (the same on every replica, which update it alike; close to the mean,
    /// so the sums do not cancel), and the count, summed by `sum` over the replicas, give the
    /// batch's mean and biased variance; the running statistics are updated with them as one
    /// process would, unbiased with the total count. N replicas thus compute what one process
    /// computes on their shares together, up to the order of the double sums.
    /// - Throws: `TensorError.shapeMismatch` for a wrong shape, or one value per channel over
    ///   all replicas; `TensorError.invalidArgument` for a layout other than plain, nChw8c or
    ///   nChw16c; what `sum` throws.
    public func synchronizedForward(_ input: Tensor, recording: Bool, sum: ReplicaSum) throws -> (output: Tensor, record: Record) {
        guard input.shape.count == 4, input.shape[1] == featureCount else {
            throw TensorError.shapeMismatch("BatchNorm2d expects an input of shape (N, \(featureCount), H, W), got \(input.shape)")
        }
        let plan = try self.plan(for: input, training: true, recording: recording)
        guard let layout = plan.channelLayout else {
            throw TensorError.invalidArgument("synchronized batch norm reads plain, nChw8c and nChw16c inputs, got \(input.layoutName)")
        }
        let channels = featureCount
        let reference = try runningMean.toArray().map(Double.init)
        var totals = BatchNormKernels.replicaMoments(input.floats(count: layout.floatCount), shift: reference, layout)
        try sum(&totals)
        let count = totals[2 * channels]
        guard count >= 2 else {
            throw TensorError.shapeMismatch("BatchNorm2d in training needs more than one value per channel over all replicas, got \(Int(count)) (input shape \(input.shape) here)")
        }
        var means = [Double](repeating: 0, count: channels), variances = means
        for channel in 0 ..< channels {
            let centered = totals[channel] / count
            means[channel] = reference[channel] + centered
            variances[channel] = max(0, totals[channels + channel] / count - centered * centered)
        }
        let output = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
        // x, y: the layout's floats; γ, β: one per channel (featureCount, checked above).
        let record = BatchNormKernels.normalize(input.floats(count: layout.floatCount), into: output.floats(count: layout.floatCount),
                                                mean: means, variance: variances, gamma: scale.floats(count: channels),
                                                beta: shift.floats(count: channels), epsilon: Double(epsilon), relu: fusesReLU, layout)
        let mean = plan.mean.floats(count: channels), variance = plan.variance.floats(count: channels)
        for channel in 0 ..< channels {
            mean[channel] = Float(means[channel])
            variance[channel] = Float(variances[channel])
        }
        try updateRunningStatistics(plan, count: Int(count))
        return (output, Record(training: true, doubleSums: record, synchronizedCount: Int(count)))
    }

    // dy: (N, C, H, W) -> dx: (N, C, H, W); dγ, dβ accumulate
    /// The input gradient of the last `synchronizedForward`: the two per-channel sums of
    /// backward (Σdy' and Σdy'·(x − μ)) are summed over the replicas by `sum`, so dx is the
    /// whole batch's; dγ and dβ added to `scaleGradient` and `shiftGradient` are this replica's
    /// share of them (the replicas' gradients are summed afterwards, as every parameter's).
    /// - Throws: `TensorError.shapeMismatch` for a gradient of another shape, or before a
    ///   synchronized forward; what `sum` throws.
    public func synchronizedBackward(_ gradientOutput: Tensor, input: Tensor, record: Record, scaleGradient: Tensor?,
                                     shiftGradient: Tensor?, sum: ReplicaSum) throws -> Tensor {
        guard let plan, let count = record.synchronizedCount, let forward = record.doubleSums, let layout = plan.channelLayout else {
            throw TensorError.shapeMismatch("synchronized batch norm backward without a synchronized forward")
        }
        guard gradientOutput.shape == input.shape else {
            throw TensorError.shapeMismatch("BatchNorm2d.backward expects a gradient of shape \(input.shape), got \(gradientOutput.shape)")
        }
        let channels = featureCount
        let gradient = try plan.inputLayoutAdapter.adapt(gradientOutput)
        // x, dy, dx: the layout's floats (all three in the input's layout); γ: one per channel.
        let x = UnsafePointer(input.floats(count: layout.floatCount))
        let dy = UnsafePointer(gradient.floats(count: layout.floatCount))
        let local = BatchNormKernels.replicaGradientSums(x, dy, relu: fusesReLU, record: forward, layout)
        var totals = local
        try sum(&totals)
        let inputGradient = try Tensor(descriptor: input.descriptor, zeroed: false)
        BatchNormKernels.inputGradient(x, dy, relu: fusesReLU, record: forward, totals: totals, count: Double(count),
                                       gamma: scale.floats(count: channels), epsilon: Double(epsilon),
                                       into: inputGradient.floats(count: layout.floatCount), layout)
        if let scaleGradient {
            try scaleGradient.withUnsafeMutableBufferPointer {
                precondition($0.count == channels)
                for c in 0 ..< channels { $0[c] += Float(local[channels + c] / (forward.variance[c] + Double(epsilon)).squareRoot()) }
            }
        }
        if let shiftGradient {
            try shiftGradient.withUnsafeMutableBufferPointer {
                precondition($0.count == channels)
                for c in 0 ..< channels { $0[c] += Float(local[c]) }
            }
        }
        return inputGradient
    }
}
