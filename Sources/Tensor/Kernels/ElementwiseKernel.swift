internal import CDNNL

/// An element-wise function on oneDNN's eltwise primitive, forward and backward, in the input's
/// layout. Backward uses the forward's output (the `*_use_dst_for_bwd` algorithms), so the caller
/// keeps no copy of the input.
public final class ElementwiseKernel {
    public enum Function: Sendable {
        /// max(0, x); the gradient at exactly 0 is 0, as PyTorch's.
        case relu
        /// min(max(0, x), 6).
        case relu6
        /// 1 / (1 + exp(−x)).
        case sigmoid
    }

    /// The layer's name, for messages.
    public let name: String
    public let function: Function
    private var forward: Primitive?
    private var backward: Primitive?
    private var inputDescriptor: dnnl_memory_desc_t?
    private var outputDescriptor: dnnl_memory_desc_t?
    private var gradientAdapter: LayoutAdapter?

    public init(_ name: String, function: Function) {
        self.name = name
        self.function = function
    }

    /// oneDNN's algorithm and its alpha, beta.
    private var algorithm: (kind: dnnl_alg_kind_t, alpha: Float, beta: Float) {
        switch function {
        case .relu: return (dnnl_eltwise_relu_use_dst_for_bwd, 0, 0)
        case .relu6: return (dnnl_eltwise_clip_v2_use_dst_for_bwd, 0, 6)
        case .sigmoid: return (dnnl_eltwise_logistic_use_dst_for_bwd, 0, 0)
        }
    }

    // x: any shape -> y: same shape and layout
    /// A new output (pooled buffer) each call.
    public func forward(_ input: Tensor) throws -> Tensor {
        if inputDescriptor == nil || !MemoryDescriptor.equal(inputDescriptor!, input.descriptor) {
            var data = input.descriptor
            var operation = dnnl_eltwise_desc_t()
            let (kind, alpha, beta) = algorithm
            try checkDNNL(dnnl_eltwise_forward_desc_init(&operation, dnnl_forward_training, kind, &data, alpha, beta),
                          "dnnl_eltwise_forward_desc_init(\(name))")
            forward = try Primitive("\(name) forward", operation: operation)
            outputDescriptor = forward!.memoryDescriptor(dnnl_query_dst_md)
            backward = nil
            gradientAdapter = LayoutAdapter(target: outputDescriptor!)
            inputDescriptor = input.descriptor
        }
        let output = try Tensor(descriptor: outputDescriptor!, zeroed: false)
        try forward!.execute([(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)])
        return output
    }

    // dy -> dx, from y = the forward's output
    /// - Throws: `TensorError.shapeMismatch` for a gradient of another shape than `output`, or
    ///   before a forward.
    public func backward(_ gradientOutput: Tensor, output: Tensor) throws -> Tensor {
        guard let forward, let gradientAdapter else { throw TensorError.shapeMismatch("\(name) backward before forward") }
        guard gradientOutput.shape == output.shape else {
            throw TensorError.shapeMismatch("\(name).backward expects a gradient of shape \(output.shape), got \(gradientOutput.shape)")
        }
        if backward == nil {
            var data = output.descriptor
            var operation = dnnl_eltwise_desc_t()
            let (kind, alpha, beta) = algorithm
            try checkDNNL(dnnl_eltwise_backward_desc_init(&operation, kind, &data, &data, alpha, beta),
                          "dnnl_eltwise_backward_desc_init(\(name))")
            backward = try Primitive("\(name) backward", operation: operation, hint: forward)
        }
        let gradient = try gradientAdapter.adapt(gradientOutput)
        let inputGradient = try Tensor(descriptor: backward!.memoryDescriptor(dnnl_query_diff_src_md), zeroed: false)
        try backward!.execute([(DNNL_ARG_DST, output), (DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, inputGradient)])
        return inputGradient
    }
}

/// The gradient of a ReLU fused into another primitive (a convolution's or an addition's
/// post-operation): dx = dy · (y > 0) from the ReLU's output y, in y's layout (oneDNN eltwise
/// backward, relu_use_dst_for_bwd). The primitive is made for the first output layout and
/// remade when it changes.
public final class ReLUBackward {
    private var primitive: Primitive?
    private var layout: Tensor.Layout?
    private var gradientAdapter: LayoutAdapter?

    public init() {}

    // y, dy: same shape -> dx = dy · (y > 0): a new tensor in y's layout
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public func run(output: Tensor, gradientOutput: Tensor) throws -> Tensor {
        guard gradientOutput.shape == output.shape else {
            throw TensorError.shapeMismatch("ReLU backward expects a gradient of shape \(output.shape), got \(gradientOutput.shape)")
        }
        if primitive == nil || layout != output.layout {
            primitive = try Self.primitive(for: output.descriptor)
            layout = output.layout
            gradientAdapter = LayoutAdapter(target: output.layout)
        }
        let incoming = try gradientAdapter!.adapt(gradientOutput)
        let gradient = try Tensor(descriptor: output.descriptor, zeroed: false)
        try primitive!.execute([(DNNL_ARG_DST, output), (DNNL_ARG_DIFF_DST, incoming), (DNNL_ARG_DIFF_SRC, gradient)])
        return gradient
    }

    /// The backward primitive for outputs and gradients in `descriptor`'s layout.
    static func primitive(for descriptor: dnnl_memory_desc_t) throws -> Primitive {
        var data = descriptor
        var forwardOperation = dnnl_eltwise_desc_t()
        try checkDNNL(dnnl_eltwise_forward_desc_init(&forwardOperation, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd,
                                                     &data, 0, 0), "dnnl_eltwise_forward_desc_init")
        let hint = try Primitive("relu forward hint", operation: forwardOperation)
        var operation = dnnl_eltwise_desc_t()
        try checkDNNL(dnnl_eltwise_backward_desc_init(&operation, dnnl_eltwise_relu_use_dst_for_bwd, &data, &data, 0, 0),
                      "dnnl_eltwise_backward_desc_init")
        return try Primitive("relu backward", operation: operation, hint: hint)
    }
}
