import Random
import Tensor

/// 2-D convolution, as `torch.nn.Conv2d`: stride, zero padding (optionally asymmetric, as
/// TensorFlow's "same" padding with stride 2), dilation, groups (depthwise when groups ==
/// inputChannels) and optional bias. Parameters `weight` (O, I/groups, kH, kW) and `bias` (O) use
/// torchvision's names; the math is `ConvolutionKernel`'s (oneDNN).
///
/// The output is in the layout the kernel prefers (blocked, e.g. nChw16c). An optional fused ReLU
/// keeps backward exact: the ReLU's gradient is applied from the stored output before the
/// convolution's backward. In unrecorded evaluation the convolution runs as one inference
/// primitive, with the batch norm after it folded in when `foldBatchNorm()` linked them
/// (Conv2d+Folding.swift).
public final class Conv2d: Layer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: (height: Int, width: Int)
    public let stride: (height: Int, width: Int)
    /// Zero padding before (top, left) …
    public let padding: (height: Int, width: Int)
    /// … and after (bottom, right) the input; equal to `padding` unless given.
    public let paddingEnd: (height: Int, width: Int)
    public let dilation: (height: Int, width: Int)
    public let groups: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// Whether a ReLU is applied to the output inside the convolution (post-op).
    public let fusesReLU: Bool
    public var isTraining = true
    /// Whether backward computes the input gradient; off for a network's first layer saves time.
    public var computesInputGradient = true
    public private(set) var options = EngineOptions()

    let kernel: ConvolutionKernel
    /// The batch norm (and activation) folded into this convolution by `foldBatchNorm()`.
    var fold: BatchNormFold?
    private var lastInput: Tensor?
    /// The last recorded output, kept only when the fused ReLU's backward needs it.
    private var lastOutput: Tensor?
    private var ranUnrecorded = false

    /// - Throws: `TensorError.invalidArgument` for non-positive sizes or channels not divisible by groups.
    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, fusesReLU: Bool = false, seed: UInt64 = 0) throws {
        try self.init(inputChannels: inputChannels, outputChannels: outputChannels,
                      kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding),
                      paddingEnd: nil, dilation: (dilation, dilation), groups: groups, bias: bias,
                      fusesReLU: fusesReLU, seed: seed)
    }

    public init(inputChannels: Int, outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), paddingEnd: (Int, Int)? = nil, dilation: (Int, Int) = (1, 1),
                groups: Int = 1, bias: Bool = true,
                fusesReLU: Bool = false, seed: UInt64 = 0) throws {
        guard inputChannels > 0, outputChannels > 0, groups > 0, kernelSize.0 > 0, kernelSize.1 > 0,
              stride.0 > 0, stride.1 > 0, padding.0 >= 0, padding.1 >= 0, (paddingEnd?.0 ?? 0) >= 0,
              (paddingEnd?.1 ?? 0) >= 0, dilation.0 > 0, dilation.1 > 0 else {
            throw TensorError.invalidArgument("Conv2d sizes must be positive (padding non-negative)")
        }
        guard inputChannels % groups == 0, outputChannels % groups == 0 else {
            throw TensorError.invalidArgument("Conv2d channels \(inputChannels)->\(outputChannels) are not divisible by groups \(groups)")
        }
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = (kernelSize.0, kernelSize.1)
        self.stride = (stride.0, stride.1)
        self.padding = (padding.0, padding.1)
        self.paddingEnd = paddingEnd.map { ($0.0, $0.1) } ?? (padding.0, padding.1)
        self.dilation = (dilation.0, dilation.1)
        self.groups = groups
        self.fusesReLU = fusesReLU
        let fanIn = inputChannels / groups * kernelSize.0 * kernelSize.1
        let bound = 1 / Float(fanIn).squareRoot()
        var random = SplitMix64(layerSeed: seed)
        let weightShape = [outputChannels, inputChannels / groups, kernelSize.0, kernelSize.1]
        weight = try Parameter(shape: weightShape, values: random.values(count: weightShape.reduce(1, *), bound: bound))
        self.bias = bias ? try Parameter(shape: [outputChannels], values: random.values(count: outputChannels, bound: bound)) : nil
        kernel = ConvolutionKernel(ConvolutionParameters(
            inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: self.kernelSize, stride: self.stride,
            padding: self.padding, paddingEnd: self.paddingEnd, dilation: self.dilation, groups: groups,
            hasBias: bias, fusesReLU: fusesReLU))
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func adopt(_ options: EngineOptions) { self.options = options }

    /// Whether forward keeps what backward needs (training, or evaluation with
    /// `EngineOptions.recordsGradientsInEvaluation`).
    public var recordsGradients: Bool { options.recordsGradients(training: isTraining) }

    /// Output spatial size for an input of height × width.
    /// A size of 0 means the kernel does not fit.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        kernel.parameters.outputSize(height: height, width: width)
    }

    // x: (N, C_in, H, W) -> y: (N, C_out, H_out, W_out)
    public func forward(_ input: Tensor) throws -> Tensor {
        if let fold, foldsBatchNorm {
            return try forward(input, fusing: ConvolutionFusion(batchNorm: fold.batchNorm, residual: nil,
                                                                overwritesResidual: false, activation: fold.activation))
        }
        guard recordsGradients else { return try forward(input, fusing: ConvolutionFusion(relu: fusesReLU)) }
        try requireShape(input, rank: 4, channels: inputChannels, layer: "Conv2d")
        let output = try kernel.forward(input, weight: weight.value, bias: bias?.value)
        lastInput = input
        lastOutput = fusesReLU ? output : nil
        ranUnrecorded = false
        return output
    }

    // dy: (N, C_out, H_out, W_out) -> dx: (N, C_in, H, W); dW, db accumulate.
    // dx is a new tensor each call (its buffer recycled through the pool once the caller drops it);
    // zeros when `computesInputGradient` is false.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let input = lastInput else { throw LayerError.backwardWithoutRecord("Conv2d", ranUnrecorded) }
        // What forward kept is released once used, as PyTorch frees saved tensors: the
        // activations' buffers then serve the gradients of the layers below.
        let output = lastOutput
        defer {
            lastInput = nil
            lastOutput = nil
        }
        // dy, times (y > 0) for the fused ReLU.
        let gradient = try kernel.outputGradient(gradientOutput, output: output)
        let weightGradient = weight.isTrainable ? weight.gradient : nil
        let biasGradient = (bias?.isTrainable ?? false) ? bias?.gradient : nil
        if weightGradient != nil || biasGradient != nil {
            // Inside OverlappedBackward.run this runs on its worker thread, beside the input
            // gradient below; the observers hear of the gradients there, once they are added.
            let work = try kernel.weightGradientWork(input: input, gradient: gradient, weightGradient: weightGradient,
                                                     biasGradient: biasGradient, winograd: options.winogradWeightGradient)
            let computed = localParameters.map(\.parameter).filter(\.isTrainable)
            try OverlappedBackward.submit {
                try work()
                for parameter in computed { try parameter.gradientComputed() }
            }
        }
        guard computesInputGradient else { return try kernel.zeroInputGradient(like: gradient) }
        return try kernel.inputGradient(gradient, weight: weight.value)
    }

    /// Forgets the last forward's input and output (an unrecorded forward ran).
    func skipRecording() {
        lastInput = nil
        lastOutput = nil
        ranUnrecorded = true
    }
}
