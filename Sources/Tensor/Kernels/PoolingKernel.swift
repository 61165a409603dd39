internal import CDNNL

/// oneDNN pooling, forward and backward, for one window geometry; max pooling keeps its
/// workspace (the arg-max positions) for backward. The output layout follows the input's.
public final class PoolingKernel {
    /// What a window computes.
    public enum Algorithm: Sendable {
        case max
        /// The mean over the window, padding counted as zeros (PyTorch's count_include_pad).
        case averageIncludingPadding
        /// The mean over the window's positions inside the input.
        case averageExcludingPadding
    }

    /// A window's size, stride and symmetric zero padding, (height, width) each.
    public struct Window: Equatable, Sendable {
        public var kernel, stride, padding: [Int]
        public init(kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)) {
            self.kernel = [kernel.0, kernel.1]
            self.stride = [stride.0, stride.1]
            self.padding = [padding.0, padding.1]
        }
    }

    /// The layer's name, for messages.
    public let name: String
    public let algorithm: Algorithm
    private var inputDescriptor: dnnl_memory_desc_t?
    private var window: Window?
    private var forward: Primitive?
    private var backward: Primitive?
    /// The backward operation of the current recorded plan; its primitive is made on first use.
    private var backwardOperation: dnnl_pooling_v2_desc_t?
    private var outputDescriptor: dnnl_memory_desc_t?
    /// The shape of the last recorded output (backward needs only the workspace, not the output).
    private var recordedShape: [Int]?
    /// Whether the current primitives were built for recorded (training-kind) use.
    private var planRecords: Bool?
    private var workspace: Tensor?
    private var gradientAdapter: LayoutAdapter?

    public init(_ name: String, algorithm: Algorithm) {
        self.name = name
        self.algorithm = algorithm
    }

    private var primitiveAlgorithm: dnnl_alg_kind_t {
        switch algorithm {
        case .max: return dnnl_pooling_max
        case .averageIncludingPadding: return dnnl_pooling_avg_include_padding
        case .averageExcludingPadding: return dnnl_pooling_avg_exclude_padding
        }
    }

    /// Output size for an input of `size` along one axis (floor mode, as PyTorch's default).
    /// 0 when the window does not fit.
    public static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        size + 2 * padding < kernel ? 0 : (size + 2 * padding - kernel) / stride + 1
    }

    // x: (N, C, H, W) -> y: (N, C, H', W')
    /// A new output (pooled buffer) each call.
    /// - Parameter recording: false: forward_inference (no max-pool workspace written), and
    ///   `backward` is refused until a recorded forward.
    /// - Throws: `TensorError.shapeMismatch` for a wrong rank or a window larger than the input.
    public func forward(_ input: Tensor, window: Window, recording: Bool = true) throws -> Tensor {
        guard input.shape.count == 4 else { throw TensorError.shapeMismatch("\(name) expects an (N, C, H, W) input, got \(input.shape)") }
        let height = Self.outputSize(input.shape[2], kernel: window.kernel[0], stride: window.stride[0], padding: window.padding[0])
        let width = Self.outputSize(input.shape[3], kernel: window.kernel[1], stride: window.stride[1], padding: window.padding[1])
        guard height > 0, width > 0 else {
            throw TensorError.shapeMismatch("\(name) input \(input.shape) is smaller than its window \(window.kernel) with padding \(window.padding)")
        }
        if inputDescriptor == nil || !MemoryDescriptor.equal(inputDescriptor!, input.descriptor) || window != self.window
            || planRecords != recording {
            var source = input.descriptor
            var destination = try MemoryDescriptor.any([input.shape[0], input.shape[1], height, width])
            var operation = dnnl_pooling_v2_desc_t()
            let kernelDims = window.kernel.map(Int64.init), strideDims = window.stride.map(Int64.init)
            let dilation: [Int64] = [0, 0], paddingDims = window.padding.map(Int64.init)
            try checkDNNL(dnnl_pooling_v2_forward_desc_init(&operation, recording ? dnnl_forward_training : dnnl_forward_inference,
                                                            primitiveAlgorithm, &source, &destination,
                                                            strideDims, kernelDims, dilation, paddingDims, paddingDims),
                          "dnnl_pooling_v2_forward_desc_init(\(name))")
            forward = try Primitive("\(name) forward", operation: operation)
            outputDescriptor = forward!.memoryDescriptor(dnnl_query_dst_md)
            let workspaceDescriptor = forward!.memoryDescriptor(dnnl_query_workspace_md)
            workspace = workspaceDescriptor.ndims > 0 ? try Tensor(descriptor: workspaceDescriptor) : nil
            backward = nil
            gradientAdapter = nil
            if recording {
                var diffSource = try MemoryDescriptor.any(input.shape)
                var diffDestination = outputDescriptor!
                var operation = dnnl_pooling_v2_desc_t()
                try checkDNNL(dnnl_pooling_v2_backward_desc_init(&operation, primitiveAlgorithm, &diffSource, &diffDestination,
                                                                 strideDims, kernelDims, dilation, paddingDims, paddingDims),
                              "dnnl_pooling_v2_backward_desc_init(\(name))")
                backwardOperation = operation
            } else {
                backwardOperation = nil
            }
            planRecords = recording
            inputDescriptor = input.descriptor
            self.window = window
        }
        let output = try Tensor(descriptor: outputDescriptor!, zeroed: false)
        recordedShape = recording ? output.shape : nil
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)]
        if let workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try forward!.execute(arguments)
        return output
    }

    // dy: (N, C, H', W') -> dx: (N, C, H, W)
    /// The input gradient of the last forward, which must have been recorded.
    /// - Throws: `TensorError.invalidArgument` after an unrecorded or no forward;
    ///   `TensorError.shapeMismatch` for a gradient of another shape.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let backwardOperation, let forward, let outputShape = recordedShape else {
            throw TensorError.invalidArgument("\(name) backward needs a recorded forward")
        }
        if backward == nil {
            // Made at the first backward, not in forward: a primitive keeps the thread count it was
            // made under, and backward runs with half of them inside an overlapped backward (made
            // in forward, it ran on both threads beside the weight-gradient worker: 3 on 2 cores).
            let primitive = try Primitive("\(name) backward", operation: backwardOperation, hint: forward)
            backward = primitive
            gradientAdapter = LayoutAdapter(target: primitive.memoryDescriptor(dnnl_query_diff_dst_md))
        }
        guard let backward, let gradientAdapter else { throw TensorError.invalidArgument("\(name) backward needs a recorded forward") }
        guard gradientOutput.shape == outputShape else {
            throw TensorError.shapeMismatch("\(name).backward expects a gradient of shape \(outputShape), got \(gradientOutput.shape)")
        }
        let gradient = try gradientAdapter.adapt(gradientOutput)
        // Average pooling's backward writes every element; max pooling's only the arg-max ones, so zero it.
        let inputGradient = try Tensor(descriptor: backward.memoryDescriptor(dnnl_query_diff_src_md), zeroed: algorithm == .max)
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, inputGradient)]
        if let workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try backward.execute(arguments)
        return inputGradient
    }
}

/// Pooling over the whole H × W plane to a plain (N, C) tensor: oneDNN pooling with an
/// H × W window, then a reorder of the tiny (N, C, 1, 1) result to plain order.
public final class GlobalPoolingKernel {
    private let kernel: PoolingKernel
    private var flat: Tensor?
    private var flatGradient: Tensor?
    private var squareShape: [Int] = []

    public init(_ name: String, algorithm: PoolingKernel.Algorithm) { kernel = PoolingKernel(name, algorithm: algorithm) }

    // x: (N, C, H, W) -> y: (N, C) plain
    /// The output is a tensor this kernel keeps and overwrites on its next call.
    public func forward(_ input: Tensor) throws -> Tensor {
        guard input.shape.count == 4 else {
            throw TensorError.shapeMismatch("\(kernel.name) expects an (N, C, H, W) input, got \(input.shape)")
        }
        let pooled = try kernel.forward(input, window: PoolingKernel.Window(kernel: (input.shape[2], input.shape[3]),
                                                                          stride: (1, 1), padding: (0, 0)))
        if squareShape != pooled.shape {
            squareShape = pooled.shape
            flat = try Tensor(zeros: [input.shape[0], input.shape[1]])
            flatGradient = nil
        }
        let view = try Tensor(viewing: flat!, as: .plain(squareShape))
        try view.copy(from: pooled)
        return flat!
    }

    // dy: (N, C) -> dx: (N, C, H, W)
    /// - Throws: `TensorError.invalidArgument` before a forward; `TensorError.shapeMismatch` for a
    ///   gradient of another shape.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let flat else { throw TensorError.invalidArgument("\(kernel.name) backward before forward") }
        guard gradientOutput.shape == flat.shape else {
            throw TensorError.shapeMismatch("\(kernel.name).backward expects a gradient of shape \(flat.shape), got \(gradientOutput.shape)")
        }
        if flatGradient == nil { flatGradient = try Tensor(zeros: squareShape) }
        let view = try Tensor(viewing: flatGradient!, as: .plain(flat.shape))
        try view.copy(from: gradientOutput)
        return try kernel.backward(flatGradient!)
    }
}
