internal import CDNNL

extension ConvolutionKernel {
    /// The activation that ends the inference primitive's post-operations.
    public enum Activation: Sendable {
        case none
        /// max(0, x)
        case relu
        /// min(max(0, x), 6), as `ReLU6`.
        case relu6
    }

    /// The running statistics and affine parameters of the batch norm that follows the
    /// convolution: one value per output channel each, plain.
    public struct BatchNormStatistics {
        public var mean, variance, scale, shift: Tensor
        public var epsilon: Float
        public init(mean: Tensor, variance: Tensor, scale: Tensor, shift: Tensor, epsilon: Float) {
            (self.mean, self.variance, self.scale, self.shift, self.epsilon) = (mean, variance, scale, shift, epsilon)
        }
    }

    // x: (N, C_in, H, W) -> y = act(bn(conv(x)) + residual): (N, O, H_out, W_out)
    /// The convolution followed by the fused operations in one primitive, for inference:
    /// y = act?(W'∗x + b' + residual?) with the batch norm folded in exactly (algebraically):
    /// W'[o, …] = W[o, …] · s[o], b' = (b − μ)·s + β, s = γ/√(σ² + ε), where μ, σ² are the batch
    /// norm's running statistics. The residual enters through a `sum` post-operation (the
    /// output buffer is pre-filled with it, or is the residual itself with
    /// `overwritesResidual`), the activation through an eltwise one.
    ///
    /// The scaling happens inside the reorder that brings the weights into the primitive's
    /// layout, which runs on every forward anyway (oneDNN reorder with per-output-channel runtime
    /// scales; grouped weights (G, O/G, …) take one factor per (g, o) pair, i.e. per output
    /// channel); s and b' are recomputed from the current parameters and statistics on every call
    /// (O(C) work). Nothing derived from them is cached, so an optimizer step, a loaded checkpoint
    /// or new running statistics are always seen. The output is a new tensor each call (pooled
    /// buffer) unless it is the residual.
    /// - Parameter overwritesResidual: the output may be written over `residual` (the caller
    ///   never reads it again): then, when its layout is the output's and it is not the input,
    ///   no copy of it is made.
    /// - Throws: `TensorError.shapeMismatch` for a wrong input, statistics of another width or a
    ///   residual of another shape.
    public func inference(_ input: Tensor, weight: Tensor, bias: Tensor?, batchNorm: BatchNormStatistics?,
                          residual: Tensor?, overwritesResidual: Bool, activation: Activation) throws -> Tensor {
        let geometry = try geometry(for: input)
        let channels = parameters.outputChannels
        if let batchNorm, [batchNorm.mean, batchNorm.variance, batchNorm.scale, batchNorm.shift].contains(where: { $0.count != channels }) {
            throw TensorError.shapeMismatch("Conv2d with \(channels) outputs cannot fold a batch norm of \(batchNorm.mean.count) features")
        }
        if let residual, residual.shape != geometry.output {
            throw TensorError.shapeMismatch("Conv2d output \(geometry.output) cannot be summed with a residual of shape \(residual.shape)")
        }
        let key = InferencePlan.Key(input: input.descriptor, sum: residual != nil, activation: activation)
        if inferencePlan == nil || !inferencePlan!.key.matches(key) {
            inferencePlan = try InferencePlan(key: key, geometry: geometry)
        }
        let plan = inferencePlan!
        let source = try plan.sourceAdapter.adapt(input)
        let weights: Tensor
        try plan.setFoldedFactors(convolutionBias: bias, batchNorm: batchNorm)
        if batchNorm != nil {
            weights = try plan.foldWeights(primitiveView(of: weight), mask: parameters.groups == 1 ? 1 << 0 : 1 << 0 | 1 << 1)
        } else {
            weights = try plan.weightAdapter.adapt(primitiveView(of: weight))
        }
        let output: Tensor
        if let residual {
            if overwritesResidual, residual.data != source.data, MemoryDescriptor.equal(residual.descriptor, plan.outputDescriptor) {
                output = residual
            } else {
                output = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
                try plan.copy(residual, into: output)
            }
        } else {
            output = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
        }
        try plan.primitive.execute([(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weights),
                                    (DNNL_ARG_BIAS, plan.bias), (DNNL_ARG_DST, output)])
        return output
    }

    /// The inference primitive (bias always present, optional sum and activation post-operations)
    /// for one input layout, with the reorders that feed it.
    final class InferencePlan {
        struct Key {
            let input: dnnl_memory_desc_t
            let sum: Bool
            let activation: Activation

            func matches(_ other: Key) -> Bool {
                sum == other.sum && activation == other.activation && MemoryDescriptor.equal(input, other.input)
            }
        }

        let key: Key
        let primitive: Primitive
        let sourceAdapter: LayoutAdapter
        /// The weights as they are (no batch norm to fold).
        let weightAdapter: WeightAdapter
        let weightDescriptor: dnnl_memory_desc_t
        let outputDescriptor: dnnl_memory_desc_t
        /// Per output channel: the bias b' and the weight factors s (1 without a batch norm).
        let bias: Tensor
        let scales: Tensor
        private var folding: ScaledReorder?
        private var residualCopy: Reorder?

        init(key: Key, geometry: Geometry) throws {
            self.key = key
            let channels = geometry.output[1]
            var source = try MemoryDescriptor.any(geometry.input)
            var weights = try MemoryDescriptor.any(geometry.weights)
            var destination = try MemoryDescriptor.any(geometry.output)
            var biasDescriptor = try MemoryDescriptor.plain([channels])
            var operation = dnnl_convolution_desc_t()
            try checkDNNL(dnnl_dilated_convolution_forward_desc_init(
                &operation, dnnl_forward_inference, dnnl_convolution_direct, &source, &weights,
                &biasDescriptor, &destination, geometry.strides, geometry.dilates,
                geometry.padding, geometry.paddingEnd), "dnnl_dilated_convolution_forward_desc_init")
            var postOperations: [PrimitiveAttributes.PostOperation] = []
            if key.sum { postOperations.append(.sum(scale: 1)) }
            switch key.activation {
            case .none: break
            case .relu: postOperations.append(.eltwise(dnnl_eltwise_relu, alpha: 0, beta: 0))
            case .relu6: postOperations.append(.eltwise(dnnl_eltwise_clip_v2, alpha: 0, beta: 6))
            }
            let attributes = try PrimitiveAttributes(postOperations)
            primitive = try Primitive("convolution inference", operation: operation, attributes: attributes.handle)
            sourceAdapter = LayoutAdapter(target: primitive.memoryDescriptor(dnnl_query_src_md))
            weightDescriptor = primitive.memoryDescriptor(dnnl_query_weights_md)
            weightAdapter = WeightAdapter(target: weightDescriptor)
            outputDescriptor = primitive.memoryDescriptor(dnnl_query_dst_md)
            bias = try Tensor(zeros: [channels])
            scales = try Tensor(zeros: [channels])
        }

        /// Fills b' = (b − μ)·s + β and s = γ/√(σ² + ε) from the current parameters and running
        /// statistics; without a batch norm b' = b (0 without bias).
        func setFoldedFactors(convolutionBias: Tensor?, batchNorm: BatchNormStatistics?) throws {
            // One value per output channel in every tensor here: `inference` has checked the
            // statistics' widths against them, and `floats(count:)` checks each buffer.
            let channels = bias.count
            let b = bias.floats(count: channels)
            let convolution = convolutionBias?.floats(count: channels)
            guard let batchNorm else {
                if let convolution { b.update(from: convolution, count: channels) } else { b.update(repeating: 0, count: channels) }
                return
            }
            let mean = batchNorm.mean.floats(count: channels)
            let variance = batchNorm.variance.floats(count: channels)
            let gamma = batchNorm.scale.floats(count: channels)
            let beta = batchNorm.shift.floats(count: channels)
            let s = scales.floats(count: channels)
            for channel in 0 ..< channels {
                // s as the batch norm computes it (float γ / √(σ² + ε)); b' in double, rounded once.
                s[channel] = gamma[channel] / (variance[channel] + batchNorm.epsilon).squareRoot()
                let shifted = Double(convolution?[channel] ?? 0) - Double(mean[channel])
                b[channel] = Float(shifted * Double(s[channel]) + Double(beta[channel]))
            }
        }

        /// The plain weights times `scales` per output channel, in the primitive's layout: a new
        /// pooled buffer each call.
        func foldWeights(_ plain: Tensor, mask: Int32) throws -> Tensor {
            if folding == nil { folding = try ScaledReorder(from: plain.descriptor, to: weightDescriptor, mask: mask) }
            let folded = try Tensor(descriptor: weightDescriptor, zeroed: false)
            try folding!.run(from: plain, to: folded, scales: scales)
            return folded
        }

        /// Copies the residual into the output buffer (which the sum post-operation adds to).
        func copy(_ residual: Tensor, into output: Tensor) throws {
            if residualCopy == nil || !MemoryDescriptor.equal(residualCopy!.source.descriptor, residual.descriptor) {
                residualCopy = try Reorder(from: residual.descriptor, to: outputDescriptor)
            }
            try residualCopy!.run(from: residual, to: output)
        }
    }
}
