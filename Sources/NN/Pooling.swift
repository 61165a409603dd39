import CDNNL
import Tensor

/// oneDNN pooling, forward and backward, for one window geometry; max pooling keeps its
/// workspace (the arg-max positions) for backward. Output layout follows the input's.
final class PoolingKernel {
    let name: String
    let algorithm: dnnl_alg_kind_t
    private var inputDescriptor: dnnl_memory_desc_t?
    private var window: [Int] = []
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
    private var ranUnrecorded = false

    init(_ name: String, algorithm: dnnl_alg_kind_t) {
        self.name = name
        self.algorithm = algorithm
    }

    /// Output size for an input of `size` along one axis (floor mode, as PyTorch's default).
    /// 0 when the window does not fit.
    static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        size + 2 * padding < kernel ? 0 : (size + 2 * padding - kernel) / stride + 1
    }

    // x: (N, C, H, W) -> y: (N, C, H', W')
    /// - Parameter recording: false: the output is a new (pooled) tensor and backward is refused.
    func forward(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), recording: Bool = true) throws -> Tensor {
        guard input.shape.count == 4 else { throw TensorError.shapeMismatch("\(name) expects an (N, C, H, W) input, got \(input.shape)") }
        let height = Self.outputSize(input.shape[2], kernel: kernel.0, stride: stride.0, padding: padding.0)
        let width = Self.outputSize(input.shape[3], kernel: kernel.1, stride: stride.1, padding: padding.1)
        guard height > 0, width > 0 else {
            throw TensorError.shapeMismatch("\(name) input \(input.shape) is smaller than its window \(kernel) with padding \(padding)")
        }
        let window = [kernel.0, kernel.1, stride.0, stride.1, padding.0, padding.1]
        if inputDescriptor == nil || !MemoryDescriptor.equal(inputDescriptor!, input.descriptor) || window != self.window
            || planRecords != recording {
            // Unrecorded: forward_inference (no max-pool workspace written) and no backward primitive.
            var source = input.descriptor
            var destination = try MemoryDescriptor.any([input.shape[0], input.shape[1], height, width])
            var operation = dnnl_pooling_v2_desc_t()
            let kernelDims = [Int64(kernel.0), Int64(kernel.1)], strideDims = [Int64(stride.0), Int64(stride.1)]
            let dilation: [Int64] = [0, 0], paddingDims = [Int64(padding.0), Int64(padding.1)]
            try checkDNNL(dnnl_pooling_v2_forward_desc_init(&operation, recording ? dnnl_forward_training : dnnl_forward_inference, algorithm, &source, &destination,
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
                try checkDNNL(dnnl_pooling_v2_backward_desc_init(&operation, algorithm, &diffSource, &diffDestination,
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
        ranUnrecorded = !recording
        // A new output each call (pooled buffer), kept by no one here.
        let output = try Tensor(descriptor: outputDescriptor!, zeroed: false)
        recordedShape = recording ? output.shape : nil
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)]
        if let workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try forward!.execute(arguments)
        return output
    }

    // dy: (N, C, H', W') -> dx: (N, C, H, W)
    func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let backwardOperation, let forward, let outputShape = recordedShape, !ranUnrecorded else {
            throw LayerError.backwardWithoutRecord(name, ranUnrecorded)
        }
        if backward == nil {
            // Made at the first backward, not in forward: a primitive keeps the thread count it was
            // made under, and backward runs with half of them inside OverlappedBackward.run (made
            // in forward, it ran on both threads beside the weight-gradient worker: 3 on 2 cores).
            let primitive = try Primitive("\(name) backward", operation: backwardOperation, hint: forward)
            backward = primitive
            gradientAdapter = LayoutAdapter(target: primitive.memoryDescriptor(dnnl_query_diff_dst_md))
        }
        guard let backward, let gradientAdapter else { throw LayerError.backwardWithoutRecord(name, ranUnrecorded) }
        guard gradientOutput.shape == outputShape else {
            throw TensorError.shapeMismatch("\(name).backward expects a gradient of shape \(outputShape), got \(gradientOutput.shape)")
        }
        let gradient = try gradientAdapter.adapt(gradientOutput)
        // Average pooling's backward writes every element; max pooling's only the arg-max ones, so zero it.
        let inputGradient = try Tensor(descriptor: backward.memoryDescriptor(dnnl_query_diff_src_md), zeroed: algorithm == dnnl_pooling_max)
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, inputGradient)]
        if let workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try backward.execute(arguments)
        return inputGradient
    }
}

/// Max over each window, as `torch.nn.MaxPool2d` (padding never wins the max; floor mode).
public final class MaxPool2d: Layer {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public var isTraining = true
    private let kernel = PoolingKernel("MaxPool2d", algorithm: dnnl_pooling_max)

    /// `stride` defaults to the kernel size, as PyTorch's.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) throws {
        guard kernelSize > 0, (stride ?? 1) > 0, padding >= 0, padding * 2 <= kernelSize else {
            throw TensorError.invalidArgument("MaxPool2d needs positive kernel and stride and padding at most half the kernel")
        }
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
    }

    // x: (N, C, H, W) -> y: (N, C, H', W'), x's layout
    public func forward(_ input: Tensor) throws -> Tensor {
        try kernel.forward(input, kernel: kernelSize, stride: stride, padding: padding,
                           recording: GradientRecording.isRecording(training: isTraining))
    }
    // dy -> dx: the gradient goes to each window's arg-max
    public func backward(_ gradientOutput: Tensor) throws -> Tensor { try kernel.backward(gradientOutput) }
}

/// Mean over each window, as `torch.nn.AvgPool2d`; `countIncludesPadding` is PyTorch's
/// count_include_pad (default true). Floor mode.
public final class AvgPool2d: Layer {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let countIncludesPadding: Bool
    public var isTraining = true
    private let kernel: PoolingKernel

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludesPadding: Bool = true) throws {
        guard kernelSize > 0, (stride ?? 1) > 0, padding >= 0, padding * 2 <= kernelSize else {
            throw TensorError.invalidArgument("AvgPool2d needs positive kernel and stride and padding at most half the kernel")
        }
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
        self.countIncludesPadding = countIncludesPadding
        kernel = PoolingKernel("AvgPool2d", algorithm: countIncludesPadding ? dnnl_pooling_avg_include_padding
                                                                            : dnnl_pooling_avg_exclude_padding)
    }

    // x: (N, C, H, W) -> y: (N, C, H', W'), x's layout
    public func forward(_ input: Tensor) throws -> Tensor {
        try kernel.forward(input, kernel: kernelSize, stride: stride, padding: padding,
                           recording: GradientRecording.isRecording(training: isTraining))
    }
    public func backward(_ gradientOutput: Tensor) throws -> Tensor { try kernel.backward(gradientOutput) }
}

/// Pooling over the whole H × W plane to a plain (N, C) tensor: oneDNN pooling with an
/// H × W window, then a reorder of the tiny (N, C, 1, 1) result to plain order.
final class GlobalPoolingKernel {
    private let kernel: PoolingKernel
    private var flat: Tensor?
    private var flatGradient: Tensor?
    private var squareShape: [Int] = []

    init(_ name: String, algorithm: dnnl_alg_kind_t) { kernel = PoolingKernel(name, algorithm: algorithm) }

    // x: (N, C, H, W) -> y: (N, C) plain
    func forward(_ input: Tensor) throws -> Tensor {
        guard input.shape.count == 4 else {
            throw TensorError.shapeMismatch("\(kernel.name) expects an (N, C, H, W) input, got \(input.shape)")
        }
        let pooled = try kernel.forward(input, kernel: (input.shape[2], input.shape[3]), stride: (1, 1), padding: (0, 0))
        if squareShape != pooled.shape {
            squareShape = pooled.shape
            flat = try Tensor(zeros: [input.shape[0], input.shape[1]])
            flatGradient = nil
        }
        let view = try Tensor(viewing: flat!, as: MemoryDescriptor.plain(squareShape))
        try view.copy(from: pooled)
        return flat!
    }

    // dy: (N, C) -> dx: (N, C, H, W)
    func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let flat else { throw LayerError.backwardBeforeForward(kernel.name) }
        guard gradientOutput.shape == flat.shape else {
            throw TensorError.shapeMismatch("\(kernel.name).backward expects a gradient of shape \(flat.shape), got \(gradientOutput.shape)")
        }
        if flatGradient == nil { flatGradient = try Tensor(zeros: squareShape) }
        let view = try Tensor(viewing: flatGradient!, as: MemoryDescriptor.plain(flat.shape))
        try view.copy(from: gradientOutput)
        return try kernel.backward(flatGradient!)
    }
}

/// Mean over H × W per channel, to (N, C) — torchvision's avgpool + flatten.
public final class GlobalAveragePool2d: Layer {
    public var isTraining = true
    private let kernel = GlobalPoolingKernel("GlobalAveragePool2d", algorithm: dnnl_pooling_avg_exclude_padding)
    public init() {}
    // x: (N, C, H, W) -> y: (N, C) plain
    public func forward(_ input: Tensor) throws -> Tensor { try kernel.forward(input) }
    public func backward(_ gradientOutput: Tensor) throws -> Tensor { try kernel.backward(gradientOutput) }
}

/// Max over H × W per channel, to (N, C).
public final class GlobalMaxPool2d: Layer {
    public var isTraining = true
    private let kernel = GlobalPoolingKernel("GlobalMaxPool2d", algorithm: dnnl_pooling_max)
    public init() {}
    // x: (N, C, H, W) -> y: (N, C) plain
    public func forward(_ input: Tensor) throws -> Tensor { try kernel.forward(input) }
    public func backward(_ gradientOutput: Tensor) throws -> Tensor { try kernel.backward(gradientOutput) }
}
