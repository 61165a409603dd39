import NN
import Tensor

/// A convolution padded as TensorFlow's "same" (the package's `Conv2dDynamicSamePadding`):
/// the output is ceil(input / stride) and the padding needed for it, p = max((out − 1)·s + k − in, 0),
/// goes p/2 before and the rest after — asymmetric for stride 2 on even sizes (k = 3: 0 and 1;
/// k = 5: 1 and 2).
///
/// Stride 1 (symmetric for odd kernels) uses `Conv2d`'s padding; stride 2 uses its separate
/// start and end padding set for even sizes (every stride-2 input when the image side is a
/// multiple of 32). An odd size needs one more zero row or column before the image: the input
/// is copied into a zero-bordered buffer first (`ZeroPaddingKernel`), and backward takes the
/// interior of the padded input's gradient. Parameter names are the convolution's (`weight`, `bias`).
///
/// A dilated convolution (dilation d, stride 1 only) spans d·(k − 1) + 1 pixels; "same" pads
/// d·(k − 1)/2 on each side, as TensorFlow does for an atrous convolution.
public final class SamePaddingConv2d: Layer, ConvolutionLayer {
    public let convolution: Conv2d
    public let kernelSize: Int
    public let stride: Int
    /// Spacing of the kernel's taps (1: a plain convolution).
    public let dilation: Int
    public var isTraining = true {
        didSet { convolution.isTraining = isTraining }
    }

    private let extraPadding = ZeroPaddingKernel()
    private var usedPadding = false

    /// - Throws: `TensorError.invalidArgument` for a stride other than 1 or 2, an even kernel, or
    ///   a dilation below 1 or above 1 at stride 2.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, dilation: Int = 1,
                groups: Int = 1, bias: Bool = false, seed: UInt64 = 0) throws {
        guard stride == 1 || stride == 2, kernelSize % 2 == 1 else {
            throw TensorError.invalidArgument("SamePaddingConv2d takes stride 1 or 2 and an odd kernel, got stride \(stride), kernel \(kernelSize)")
        }
        guard dilation >= 1, dilation == 1 || stride == 1 else {
            throw TensorError.invalidArgument("SamePaddingConv2d takes a dilation of 1, or above 1 at stride 1 only, got dilation \(dilation) at stride \(stride)")
        }
        self.kernelSize = kernelSize
        self.stride = stride
        self.dilation = dilation
        // Padding for stride 1 (dilated or not), or for an even size at stride 2.
        let before = stride == 1 ? dilation * (kernelSize - 1) / 2 : Self.padding(size: 2, kernelSize: kernelSize, stride: 2).before
        let after = stride == 1 ? before : Self.padding(size: 2, kernelSize: kernelSize, stride: 2).after
        convolution = try Conv2d(inputChannels: inputChannels, outputChannels: outputChannels,
                                 kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: (before, before),
                                 paddingEnd: (after, after), dilation: (dilation, dilation), groups: groups, bias: bias,
                                 seed: seed)
    }

    public var localParameters: [(name: String, parameter: Parameter)] { convolution.localParameters }

    /// The wrapped convolution is no child (its parameters are this layer's): it takes the options here.
    public func adopt(_ options: EngineOptions) { convolution.adopt(options) }

    /// TensorFlow's "same" padding (before, after) along one axis of `size`.
    public static func padding(size: Int, kernelSize: Int, stride: Int) -> (before: Int, after: Int) {
        let output = (size + stride - 1) / stride
        let total = max((output - 1) * stride + kernelSize - size, 0)
        return (total / 2, total - total / 2)
    }

    // x: (N, C_in, H, W) -> y: (N, C_out, ceil(H/stride), ceil(W/stride))
    public func forward(_ input: Tensor) throws -> Tensor {
        try convolution.forward(paddedInput(input))
    }

    /// The convolution with a batch norm folded in and an activation fused, for unrecorded
    /// evaluation (`Conv2d.forward(_:fusing:)`), padded as `forward(_:)`.
    public func forward(_ input: Tensor, fusing fusion: ConvolutionFusion) throws -> Tensor {
        try convolution.forward(paddedInput(input), fusing: fusion)
    }

    /// `input`, or a copy with the extra zero row/column an odd side needs at stride 2.
    private func paddedInput(_ input: Tensor) throws -> Tensor {
        guard stride == 2, input.shape.count == 4, input.shape[2] % 2 == 1 || input.shape[3] % 2 == 1 else {
            usedPadding = false
            return input
        }
        // An odd side needs (k − 1)/2 on both sides; the convolution pads (k − 3)/2 before and
        // (k − 1)/2 after, so one extra zero row/column goes before.
        usedPadding = true
        return try extraPadding.forward(input, before: (input.shape[2] % 2, input.shape[3] % 2), after: (0, 0))
    }

    // dy: (N, C_out, H', W') -> dx: (N, C_in, H, W)
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        let gradient = try convolution.backward(gradientOutput)
        guard usedPadding else { return gradient }
        return try extraPadding.backward(gradient)
    }
}
