import CDNNL
import Tensor

/// What an evaluation-mode convolution applies to its result inside the same oneDNN primitive,
/// in this order: a batch norm with running statistics, the sum with a residual tensor, a ReLU.
public struct ConvolutionFusion {
    /// The batch norm that follows the convolution (its running statistics, weight and bias).
    public var batchNorm: BatchNorm2d?
    /// A tensor of the output's shape added after the batch norm (ResNet's shortcut).
    public var residual: Tensor?
    /// Whether a ReLU ends the sequence.
    public var relu: Bool

    public init(batchNorm: BatchNorm2d? = nil, residual: Tensor? = nil, relu: Bool = false) {
        self.batchNorm = batchNorm
        self.residual = residual
        self.relu = relu
    }
}

extension Conv2d {
    /// Whether models run each convolution with its batch norm (and ResNet's residual sum and
    /// ReLU) fused in unrecorded evaluation (`fusible(_:_:)`). Off by default: measured on this AVX2
    /// host with Debian's oneDNN 2.6, the per-channel binary post-operations slow the jit
    /// convolutions down (ResNet-50 batch 16, 1 thread: 1×1 convolutions 777 → 1021 ms, 3×3
    /// 853 → 918 ms) by more than the separate batch-norm and sum passes cost (115 ms); ResNet-50
    /// inference was 4 %, DenseNet-121 6 % slower fused (memory: ResNet-50 512 MB fused, 920 MB not).
    /// Re-measure on other CPUs / oneDNN versions before switching it on.
    nonisolated(unsafe) public static var fusesBatchNormInInference = false

    /// `first` and `second` as a convolution and the batch norm that follows it, when the pair
    /// can run fused: `fusesBatchNormInInference`, both in evaluation mode, gradients not recorded
    /// (`GradientRecording.inEvaluation` false), widths equal, no ReLU already fused into the
    /// convolution. Nil otherwise (then run them one after the other).
    public static func fusible(_ first: Layer, _ second: Layer) -> (convolution: Conv2d, batchNorm: BatchNorm2d)? {
        guard let convolution = first as? Conv2d, let batchNorm = second as? BatchNorm2d,
              !convolution.isTraining, !batchNorm.isTraining, !GradientRecording.inEvaluation,
              !convolution.fusesReLU, convolution.outputChannels == batchNorm.featureCount,
              fusesBatchNormInInference else { return nil }
        return (convolution, batchNorm)
    }

    // x: (N, C_in, H, W) -> y = relu(bn(conv(x)) + residual): (N, C_out, H_out, W_out)
    /// The convolution followed by the fused operations in one primitive, for inference:
    /// y = relu?((W∗x + b − μ) · γ/√(σ² + ε) + β + residual?), with μ, σ² the batch norm's
    /// running statistics — the batch norm's evaluation formula applied to the convolution's
    /// result, as post-operations (per-channel multiply and add) of oneDNN's convolution.
    ///
    /// The weights are used as they are (only reordered, as on every forward), and the
    /// per-channel factors are recomputed from the current parameters and statistics on every
    /// call (O(C) work), so nothing derived from them is cached and an optimizer step, a loaded
    /// checkpoint or new running statistics are always seen. The output is a new tensor each
    /// call (pooled buffer); nothing is kept for backward.
    /// - Throws: `TensorError.shapeMismatch` for a wrong input, a batch norm of another width or
    ///   a residual of another shape.
    public func forward(_ input: Tensor, fusing fusion: ConvolutionFusion) throws -> Tensor {
        try requireShape(input, rank: 4, channels: inputChannels, layer: "Conv2d")
        if let batchNorm = fusion.batchNorm, batchNorm.featureCount != outputChannels {
            throw TensorError.shapeMismatch("Conv2d with \(outputChannels) outputs cannot fuse a BatchNorm2d of \(batchNorm.featureCount) features")
        }
        let geometry = try geometry(for: input)
        if let residual = fusion.residual, residual.shape != geometry.output {
            throw TensorError.shapeMismatch("Conv2d output \(geometry.output) cannot be summed with a residual of shape \(residual.shape)")
        }
        let key = FusedPlan.Key(input: input.descriptor, residual: fusion.residual?.descriptor,
                                batchNorm: fusion.batchNorm != nil, relu: fusion.relu)
        if fusedPlan == nil || !fusedPlan!.key.matches(key) {
            fusedPlan = try FusedPlan(key: key, geometry: geometry)
        }
        let plan = fusedPlan!
        skipRecording()
        fusion.batchNorm?.skipRecording()
        try plan.setChannelFactors(convolutionBias: bias, batchNorm: fusion.batchNorm)
        let source = try plan.sourceAdapter.adapt(input)
        let weights = try plan.weightAdapter.adapt(weightViewPlain())
        let output = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weights),
                                            (DNNL_ARG_BIAS, plan.bias), (DNNL_ARG_DST, output)]
        var index = 0
        if fusion.batchNorm != nil {
            arguments += [(PrimitiveAttributes.postOperationArgument(0), plan.scale),
                          (PrimitiveAttributes.postOperationArgument(1), plan.shift)]
            index = 2
        }
        if let residual = fusion.residual { arguments.append((PrimitiveAttributes.postOperationArgument(index), residual)) }
        try plan.primitive.execute(arguments)
        return output
    }

    /// The fused inference primitive for one input layout and one set of fused operations.
    final class FusedPlan {
        struct Key {
            let input: dnnl_memory_desc_t
            let residual: dnnl_memory_desc_t?
            let batchNorm: Bool
            let relu: Bool

            func matches(_ other: Key) -> Bool {
                guard batchNorm == other.batchNorm, relu == other.relu, MemoryDescriptor.equal(input, other.input) else { return false }
                switch (residual, other.residual) {
                case (nil, nil): return true
                case let (a?, b?): return MemoryDescriptor.equal(a, b)
                default: return false
                }
            }
        }

        let key: Key
        let primitive: Primitive
        let sourceAdapter: LayoutAdapter
        let weightAdapter: WeightAdapter
        let outputDescriptor: dnnl_memory_desc_t
        /// Per output channel: the convolution bias (b − μ with a batch norm), γ/√(σ² + ε), β.
        let bias: Tensor
        let scale: Tensor
        let shift: Tensor

        init(key: Key, geometry: Conv2d.Geometry) throws {
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
            if key.batchNorm {
                let perChannel = try MemoryDescriptor.plain([1, channels, 1, 1])
                postOperations += [.binary(dnnl_binary_mul, perChannel), .binary(dnnl_binary_add, perChannel)]
            }
            if let residual = key.residual { postOperations.append(.binary(dnnl_binary_add, residual)) }
            if key.relu { postOperations.append(.eltwise(dnnl_eltwise_relu, alpha: 0, beta: 0)) }
            let attributes = try PrimitiveAttributes(postOperations)
            primitive = try Primitive("fused convolution inference", operation: operation, attributes: attributes.handle)
            sourceAdapter = LayoutAdapter(target: primitive.memoryDescriptor(dnnl_query_src_md))
            weightAdapter = WeightAdapter(target: primitive.memoryDescriptor(dnnl_query_weights_md))
            outputDescriptor = primitive.memoryDescriptor(dnnl_query_dst_md)
            bias = try Tensor(zeros: [channels])
            scale = try Tensor(viewing: Tensor(zeros: [channels]), as: MemoryDescriptor.plain([1, channels, 1, 1]))
            shift = try Tensor(viewing: Tensor(zeros: [channels]), as: MemoryDescriptor.plain([1, channels, 1, 1]))
        }

        /// Fills bias, scale and shift from the current parameters and running statistics.
        func setChannelFactors(convolutionBias: Parameter?, batchNorm: BatchNorm2d?) throws {
            let channels = bias.count
            let b = bias.data.assumingMemoryBound(to: Float.self)
            if let convolutionBias {
                b.update(from: convolutionBias.value.data.assumingMemoryBound(to: Float.self), count: channels)
            } else {
                b.update(repeating: 0, count: channels)
            }
            guard let batchNorm else { return }
            let mean = batchNorm.runningMean.data.assumingMemoryBound(to: Float.self)
            let variance = batchNorm.runningVariance.data.assumingMemoryBound(to: Float.self)
            let gamma = batchNorm.weight.value.data.assumingMemoryBound(to: Float.self)
            let beta = batchNorm.bias.value.data.assumingMemoryBound(to: Float.self)
            let s = scale.data.assumingMemoryBound(to: Float.self), t = shift.data.assumingMemoryBound(to: Float.self)
            for channel in 0 ..< channels {
                b[channel] -= mean[channel]
                s[channel] = gamma[channel] / (variance[channel] + batchNorm.epsilon).squareRoot()
                t[channel] = beta[channel]
            }
        }
    }
}
