import NN
import Tensor

/// The mobile inverted bottleneck (MBConv) block of EfficientNet-Lite, as the package's
/// `MBConvBlock` without squeeze-and-excitation: 1×1 expansion convolution (absent when the
/// expansion is 1), batch norm, ReLU6; k×k depthwise convolution with TensorFlow "same"
/// padding, batch norm, ReLU6; 1×1 projection, batch norm; plus the input when the stride is 1
/// and the channel count is unchanged. Children `_expand_conv`, `_bn0`, `_depthwise_conv`,
/// `_bn1`, `_project_conv`, `_bn2`; convolutions without bias. A dilation above 1 (stride 1
/// only) spaces the depthwise kernel's taps, for a backbone at output stride 16; it changes no
/// weight shape.
public final class EfficientNetBlock: Layer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let stride: Int
    /// Whether the input is added to the output (identity skip).
    public let hasSkip: Bool
    let expansion: (convolution: Conv2d, norm: BatchNorm2d, activation: ReLU6)?
    let depthwise: SamePaddingConv2d
    let depthwiseNorm: BatchNorm2d
    let depthwiseActivation = ReLU6()
    let projection: Conv2d
    let projectionNorm: BatchNorm2d
    let add = Add()
    /// Drop connect on the branch before the skip sum (training only); nil: none.
    public private(set) var dropConnect: StochasticDepth?
    public var isTraining = true

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, dilation: Int = 1,
                expansion ratio: Int, seed: UInt64) throws {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.stride = stride
        hasSkip = stride == 1 && inputChannels == outputChannels
        let epsilon = EfficientNetLite0.batchNormEpsilon, momentum = EfficientNetLite0.batchNormMomentum
        let expanded = inputChannels * ratio
        if ratio != 1 {
            expansion = (try Conv2d(inputChannels: inputChannels, outputChannels: expanded, kernelSize: 1, bias: false, seed: seed),
                         try BatchNorm2d(featureCount: expanded, epsilon: epsilon, momentum: momentum), ReLU6())
        } else {
            expansion = nil
        }
        depthwise = try SamePaddingConv2d(inputChannels: expanded, outputChannels: expanded, kernelSize: kernelSize,
                                          stride: stride, dilation: dilation, groups: expanded, seed: seed &+ 1)
        depthwiseNorm = try BatchNorm2d(featureCount: expanded, epsilon: epsilon, momentum: momentum)
        projection = try Conv2d(inputChannels: expanded, outputChannels: outputChannels, kernelSize: 1, bias: false,
                                seed: seed &+ 2)
        projectionNorm = try BatchNorm2d(featureCount: outputChannels, epsilon: epsilon, momentum: momentum)
    }

    /// The package's children, and each ReLU6 (no parameters) after the batch norm it follows, so
    /// that `setTraining` and `foldBatchNorm()` reach it.
    public var namedChildren: [(name: String, module: Module)] {
        var children: [(name: String, module: Module)] = []
        if let expansion {
            children += [("_expand_conv", expansion.convolution), ("_bn0", expansion.norm), ("_relu0", expansion.activation)]
        }
        children += [("_depthwise_conv", depthwise), ("_bn1", depthwiseNorm), ("_relu1", depthwiseActivation),
                     ("_project_conv", projection), ("_bn2", projectionNorm)]
        // No parameters or buffers: listed so that setTraining reaches it.
        if let dropConnect { children.append(("_drop_connect", dropConnect)) }
        if hasSkip { children.append(("_add", add)) }
        return children
    }

    /// Drops this block's branch per sample with probability `rate` in training, as the
    /// package does for blocks with a skip connection; rate 0 (or a block without a skip)
    /// removes it.
    /// - Throws: `TensorError.invalidArgument` unless 0 ≤ rate < 1.
    public func setDropConnect(rate: Float, seed: UInt64) throws {
        dropConnect = hasSkip && rate > 0 ? try StochasticDepth(probability: rate, seed: seed) : nil
        dropConnect?.isTraining = isTraining
    }

    /// Whether, folded in unrecorded evaluation, a block with a skip connection may write its
    /// output over its input (no copy of the input into the output buffer). Only for inputs nothing
    /// reads afterwards: `EfficientNetLite0` sets it for its blocks. Off for a block built alone.
    var overwritesInputInInference = false
    /// Whether the last forward ran the skip sum folded (so kept nothing for backward).
    private var ranFolded = false

    // x: (N, C_in, H, W) -> (N, C_out, ceil(H/stride), ceil(W/stride))
    /// With the batch norms folded (`foldBatchNorm()`, unrecorded evaluation) each convolution
    /// applies its batch norm and ReLU6, and the projection also the skip sum (`Conv2d.forwardFolded`).
    public func forward(_ input: Tensor) throws -> Tensor {
        var x = input
        if let expansion {
            x = try expansion.activation.forward(expansion.norm.forward(expansion.convolution.forward(x)))
        }
        x = try depthwiseActivation.forward(depthwiseNorm.forward(depthwise.forward(x)))
        ranFolded = hasSkip && projection.foldsBatchNorm && !(dropConnect?.isTraining ?? false)
        if ranFolded {
            return try projection.forwardFolded(x, residual: input, overwritesResidual: overwritesInputInInference,
                                                activation: .none)
        }
        x = try projectionNorm.forward(projection.forward(x))
        if let dropConnect { x = try dropConnect.forward(x) }
        return hasSkip ? try add.forward(x, input) : x
    }

    // dy: (N, C_out, H', W') -> dx: (N, C_in, H, W)
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        if ranFolded { throw LayerError.backwardNotRecorded("EfficientNetBlock") }
        var gradient = gradientOutput
        var skipGradient: Tensor?
        if hasSkip { (gradient, skipGradient) = try add.backward(gradientOutput) }
        if let dropConnect { gradient = try dropConnect.backward(gradient) }
        gradient = try projection.backward(projectionNorm.backward(gradient))
        gradient = try depthwise.backward(depthwiseNorm.backward(depthwiseActivation.backward(gradient)))
        if let expansion {
            gradient = try expansion.convolution.backward(expansion.norm.backward(expansion.activation.backward(gradient)))
        }
        if let skipGradient {
            // Without an expansion the depthwise input gradient is the block's; it is a buffer
            // the depthwise convolution owns, so adding the skip's gradient into it is safe.
            try gradient.accumulate(skipGradient)
        }
        return gradient
    }
}
