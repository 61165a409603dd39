import CDNNL
import Tensor

/// An element-wise function on oneDNN's eltwise primitive, forward and backward, in the input's
/// layout. Backward uses the stored output (the `*_use_dst_for_bwd` algorithms), so no copy of
/// the input is kept.
final class ElementwiseKernel {
    let name: String
    let algorithm: dnnl_alg_kind_t
    let alpha: Float
    let beta: Float
    private var forward: Primitive?
    private var backward: Primitive?
    private var inputDescriptor: dnnl_memory_desc_t?
    /// The last recorded output, kept for backward (the `*_use_dst_for_bwd` algorithms) until it runs.
    private var output: Tensor?
    private var outputDescriptor: dnnl_memory_desc_t?
    private var gradientAdapter: LayoutAdapter?
    private var ranUnrecorded = false

    init(_ name: String, algorithm: dnnl_alg_kind_t, alpha: Float = 0, beta: Float = 0) {
        self.name = name
        self.algorithm = algorithm
        self.alpha = alpha
        self.beta = beta
    }

    /// - Parameter recording: false: the output is a new (pooled) tensor and backward is refused.
    func forward(_ input: Tensor, recording: Bool = true) throws -> Tensor {
        if inputDescriptor == nil || !MemoryDescriptor.equal(inputDescriptor!, input.descriptor) {
            var data = input.descriptor
            var operation = dnnl_eltwise_desc_t()
            try checkDNNL(dnnl_eltwise_forward_desc_init(&operation, dnnl_forward_training, algorithm, &data, alpha, beta),
                          "dnnl_eltwise_forward_desc_init(\(name))")
            forward = try Primitive("\(name) forward", operation: operation)
            outputDescriptor = forward!.memoryDescriptor(dnnl_query_dst_md)
            backward = nil
            gradientAdapter = LayoutAdapter(target: outputDescriptor!)
            inputDescriptor = input.descriptor
        }
        ranUnrecorded = !recording
        let output = try Tensor(descriptor: outputDescriptor!, zeroed: false)
        self.output = recording ? output : nil
        try forward!.execute([(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)])
        return output
    }

    func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let forward, let output, let gradientAdapter, !ranUnrecorded else {
            throw LayerError.backwardWithoutRecord(name, ranUnrecorded)
        }
        defer { self.output = nil }  // released once used, as PyTorch frees saved tensors
        guard gradientOutput.shape == output.shape else {
            throw TensorError.shapeMismatch("\(name).backward expects a gradient of shape \(output.shape), got \(gradientOutput.shape)")
        }
        if backward == nil {
            var data = output.descriptor
            var operation = dnnl_eltwise_desc_t()
            try checkDNNL(dnnl_eltwise_backward_desc_init(&operation, algorithm, &data, &data, alpha, beta),
                          "dnnl_eltwise_backward_desc_init(\(name))")
            backward = try Primitive("\(name) backward", operation: operation, hint: forward)
        }
        let gradient = try gradientAdapter.adapt(gradientOutput)
        let inputGradient = try Tensor(descriptor: backward!.memoryDescriptor(dnnl_query_diff_src_md), zeroed: false)
        try backward!.execute([(DNNL_ARG_DST, output), (DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, inputGradient)])
        return inputGradient
    }
}

/// max(0, x), as `torch.nn.ReLU`. The gradient at exactly 0 is 0, as PyTorch's.
public final class ReLU: Layer {
    public var isTraining = true
    private let kernel = ElementwiseKernel("ReLU", algorithm: dnnl_eltwise_relu_use_dst_for_bwd)
    public init() {}
    // x: any shape -> y: same shape and layout
    public func forward(_ input: Tensor) throws -> Tensor {
        try kernel.forward(input, recording: GradientRecording.isRecording(training: isTraining))
    }
    public func backward(_ gradientOutput: Tensor) throws -> Tensor { try kernel.backward(gradientOutput) }
}

/// min(max(0, x), 6), as `torch.nn.ReLU6` (EfficientNet/MobileNet).
public final class ReLU6: Layer {
    public var isTraining = true
    private let kernel = ElementwiseKernel("ReLU6", algorithm: dnnl_eltwise_clip_v2_use_dst_for_bwd, alpha: 0, beta: 6)
    public init() {}
    // x: any shape -> y: same shape and layout
    public func forward(_ input: Tensor) throws -> Tensor {
        try kernel.forward(input, recording: GradientRecording.isRecording(training: isTraining))
    }
    public func backward(_ gradientOutput: Tensor) throws -> Tensor { try kernel.backward(gradientOutput) }
}

/// 1 / (1 + exp(−x)), as `torch.nn.Sigmoid`.
public final class Sigmoid: Layer {
    public var isTraining = true
    private let kernel = ElementwiseKernel("Sigmoid", algorithm: dnnl_eltwise_logistic_use_dst_for_bwd)
    public init() {}
    // x: any shape -> y: same shape and layout
    public func forward(_ input: Tensor) throws -> Tensor {
        try kernel.forward(input, recording: GradientRecording.isRecording(training: isTraining))
    }
    public func backward(_ gradientOutput: Tensor) throws -> Tensor { try kernel.backward(gradientOutput) }
}
