import Tensor

/// Max over each window, as `torch.nn.MaxPool2d` (padding never wins the max; floor mode).
public final class MaxPool2d: Layer {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public var isTraining = true
    public private(set) var options = EngineOptions()
    private let kernel = PoolingKernel("MaxPool2d", algorithm: .max)
    private let record = PoolingRecord("MaxPool2d")

    /// `stride` defaults to the kernel size, as PyTorch's.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) throws {
        guard kernelSize > 0, (stride ?? 1) > 0, padding >= 0, padding * 2 <= kernelSize else {
            throw TensorError.invalidArgument("MaxPool2d needs positive kernel and stride and padding at most half the kernel")
        }
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
    }

    public func adopt(_ options: EngineOptions) { self.options = options }

    // x: (N, C, H, W) -> y: (N, C, H', W'), x's layout
    public func forward(_ input: Tensor) throws -> Tensor {
        let recording = record.forward(recording: options.recordsGradients(training: isTraining))
        return try kernel.forward(input, window: PoolingKernel.Window(kernel: kernelSize, stride: stride, padding: padding),
                                  recording: recording)
    }
    // dy -> dx: the gradient goes to each window's arg-max
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        try record.requireRecorded()
        return try kernel.backward(gradientOutput)
    }
}

/// Mean over each window, as `torch.nn.AvgPool2d`; `countIncludesPadding` is PyTorch's
/// count_include_pad (default true). Floor mode.
public final class AvgPool2d: Layer {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let countIncludesPadding: Bool
    public var isTraining = true
    public private(set) var options = EngineOptions()
    private let kernel: PoolingKernel
    private let record = PoolingRecord("AvgPool2d")

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludesPadding: Bool = true) throws {
        guard kernelSize > 0, (stride ?? 1) > 0, padding >= 0, padding * 2 <= kernelSize else {
            throw TensorError.invalidArgument("AvgPool2d needs positive kernel and stride and padding at most half the kernel")
        }
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
        self.countIncludesPadding = countIncludesPadding
        kernel = PoolingKernel("AvgPool2d", algorithm: countIncludesPadding ? .averageIncludingPadding : .averageExcludingPadding)
    }

    public func adopt(_ options: EngineOptions) { self.options = options }

    // x: (N, C, H, W) -> y: (N, C, H', W'), x's layout
    public func forward(_ input: Tensor) throws -> Tensor {
        let recording = record.forward(recording: options.recordsGradients(training: isTraining))
        return try kernel.forward(input, window: PoolingKernel.Window(kernel: kernelSize, stride: stride, padding: padding),
                                  recording: recording)
    }
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        try record.requireRecorded()
        return try kernel.backward(gradientOutput)
    }
}

/// Mean over H × W per channel, to (N, C) — torchvision's avgpool + flatten.
public final class GlobalAveragePool2d: Layer {
    public var isTraining = true
    private let kernel = GlobalPoolingKernel("GlobalAveragePool2d", algorithm: .averageExcludingPadding)
    private let record = PoolingRecord("GlobalAveragePool2d")
    public init() {}
    // x: (N, C, H, W) -> y: (N, C) plain
    public func forward(_ input: Tensor) throws -> Tensor {
        _ = record.forward(recording: true)
        return try kernel.forward(input)
    }
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        try record.requireRecorded()
        return try kernel.backward(gradientOutput)
    }
}

/// Max over H × W per channel, to (N, C).
public final class GlobalMaxPool2d: Layer {
    public var isTraining = true
    private let kernel = GlobalPoolingKernel("GlobalMaxPool2d", algorithm: .max)
    private let record = PoolingRecord("GlobalMaxPool2d")
    public init() {}
    // x: (N, C, H, W) -> y: (N, C) plain
    public func forward(_ input: Tensor) throws -> Tensor {
        _ = record.forward(recording: true)
        return try kernel.forward(input)
    }
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        try record.requireRecorded()
        return try kernel.backward(gradientOutput)
    }
}

/// Whether a layer's last forward kept what its backward needs (the kernel keeps the rest).
final class PoolingRecord {
    private let name: String
    private var ranForward = false
    private var ranUnrecorded = false

    init(_ name: String) { self.name = name }

    /// Notes a forward; returns `recording`.
    func forward(recording: Bool) -> Bool {
        ranForward = true
        ranUnrecorded = !recording
        return recording
    }

    /// Throws `LayerError` unless the last forward was recorded.
    func requireRecorded() throws {
        guard ranForward, !ranUnrecorded else { throw LayerError.backwardWithoutRecord(name, ranUnrecorded) }
    }
}
