import CDNNL
import Foundation
import Tensor

/// What an evaluation-mode convolution applies to its result inside the same oneDNN primitive,
/// in this order: a batch norm with running statistics (folded into the weights and bias), the
/// sum with a residual tensor, an activation.
public struct ConvolutionFusion {
    /// The activation that ends the sequence.
    public enum Activation: Sendable {
        case none
        /// max(0, x)
        case relu
        /// min(max(0, x), 6), as `ReLU6`.
        case relu6
    }

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

extension Conv2d {
    /// Whether models run each convolution with its batch norm folded in (and ResNet's residual
    /// sum and ReLU fused) in unrecorded evaluation (`fusible(_:_:)`). On unless the environment
    /// sets `THORAX_FOLD_BATCHNORM=0` (read once, at first use).
    ///
    /// Measured on this 2-core AVX2 host (one release binary, switch off/on in alternating runs,
    /// 2 threads, 26 Nov 23:51–23:57 UTC; docs/benchmarks.md): batch 16 at 224², ResNet-50 inference
    /// 1.019 → 0.939 s (median of 3; peak RSS 922 → 466 MB), DenseNet-121 0.714 → 0.692 s,
    /// EfficientNet-Lite0 0.167 → 0.112 s (838 → 348 MB); batch 1 faster or equal too. The fold
    /// adds no per-element work (the weights are reordered on every forward anyway); an earlier
    /// version applied the batch norm as per-channel binary post-operations, which slowed oneDNN
    /// 2.6's AVX2 convolutions by more than the separate batch-norm pass cost.
    nonisolated(unsafe) public static var fusesBatchNormInInference =
        EngineSwitches.process.foldsBatchNormInInference

    /// `first` and `second` as a convolution and the batch norm that follows it, when the pair
    /// can run fused: `fusesBatchNormInInference`, both in evaluation mode, gradients not recorded
    /// (`GradientRecording.inEvaluation` false), widths equal, no ReLU already fused into the
    /// convolution. Nil otherwise (then run them one after the other) — in particular always in
    /// training mode, whose batch norm uses batch statistics and updates the running ones.
    public static func fusible(_ first: Layer, _ second: Layer) -> (convolution: Conv2d, batchNorm: BatchNorm2d)? {
        guard let convolution = first as? Conv2d, let batchNorm = second as? BatchNorm2d,
              !convolution.isTraining, !batchNorm.isTraining, !GradientRecording.inEvaluation,
              !convolution.fusesReLU, convolution.outputChannels == batchNorm.featureCount,
              fusesBatchNormInInference else { return nil }
        return (convolution, batchNorm)
    }

    // x: (N, C_in, H, W) -> y = act(bn(conv(x)) + residual): (N, C_out, H_out, W_out)
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
    /// buffer) unless it is the residual; nothing is kept for backward.
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
        let key = FusedPlan.Key(input: input.descriptor, sum: fusion.residual != nil, activation: fusion.activation)
        if fusedPlan == nil || !fusedPlan!.key.matches(key) {
            fusedPlan = try FusedPlan(key: key, geometry: geometry)
        }
        let plan = fusedPlan!
        skipRecording()
        fusion.batchNorm?.skipRecording()
        let source = try plan.sourceAdapter.adapt(input)
        let weights: Tensor
        if let batchNorm = fusion.batchNorm {
            try plan.setFoldedFactors(convolutionBias: bias, batchNorm: batchNorm)
            weights = try plan.foldWeights(weightViewPlain(), mask: groups == 1 ? 1 << 0 : 1 << 0 | 1 << 1)
        } else {
            try plan.setFoldedFactors(convolutionBias: bias, batchNorm: nil)
            weights = try plan.weightAdapter.adapt(weightViewPlain())
        }
        let output: Tensor
        if let residual = fusion.residual {
            if fusion.overwritesResidual, residual.data != source.data,
               MemoryDescriptor.equal(residual.descriptor, plan.outputDescriptor) {
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

    /// The evaluation primitive (bias always present, optional sum and activation post-operations)
    /// for one input layout, with the reorders that feed it.
    final class FusedPlan {
        struct Key {
            let input: dnnl_memory_desc_t
            let sum: Bool
            let activation: ConvolutionFusion.Activation

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
        func setFoldedFactors(convolutionBias: Parameter?, batchNorm: BatchNorm2d?) throws {
            // One value per output channel in every tensor here: `forward(_:fusing:)` has checked
            // the batch norm's featureCount against them, and `floats(count:)` checks each buffer.
            let channels = bias.count
            let b = bias.floats(count: channels)
            let convolution = convolutionBias?.value.floats(count: channels)
            guard let batchNorm else {
                if let convolution { b.update(from: convolution, count: channels) } else { b.update(repeating: 0, count: channels) }
                return
            }
            let mean = batchNorm.runningMean.floats(count: channels)
            let variance = batchNorm.runningVariance.floats(count: channels)
            let gamma = batchNorm.weight.value.floats(count: channels)
            let beta = batchNorm.bias.value.floats(count: channels)
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
            if residualCopy == nil || !MemoryDescriptor.equal(residualCopy!.source, residual.descriptor) {
                residualCopy = try Reorder(from: residual.descriptor, to: outputDescriptor)
            }
            try residualCopy!.run(from: residual, to: output)
        }
    }
}
