import NN
import Tensor

/// torchvision's ResNet blocks. Both compute relu(main(x) + shortcut(x)), where the shortcut is
/// the identity or, when the stride or width changes, `downsample` (1×1 conv + batch norm).
///
/// Backward mirrors forward: the gradient of the final ReLU goes through `add` to both paths,
/// and the shortcut's input gradient is added to the main path's.
public final class ResidualBlock: Layer {
    /// BasicBlock (two 3×3 convolutions, ResNet-18/34) or Bottleneck (1×1, 3×3 with the stride —
    /// torchvision's "v1.5" — and 1×1 to 4× the width, ResNet-50/101).
    public enum Kind: Sendable {
        case basic, bottleneck

        /// Output channels per unit of width.
        public var expansion: Int { self == .basic ? 1 : 4 }
    }

    public let kind: Kind
    /// conv1, bn1, conv2, bn2, (conv3, bn3) in order, named as torchvision; every batch norm but
    /// the last applies the block's inner ReLU itself (fused, one pass over the activations).
    let main: [(name: String, layer: Layer)]
    /// The last convolution and batch norm of `main` (conv2, bn2 or conv3, bn3).
    private let lastConvolution: Conv2d
    private let lastNorm: BatchNorm2d
    public let downsample: Sequential?
    /// relu(main + shortcut), the ReLU fused into the sum, written over the last batch norm's
    /// output (which its backward does not read), as torchvision's in-place `out += identity`.
    let add = Add(fusesReLU: true, overwritesFirstInput: true)
    public var isTraining = true
    public let outputChannels: Int

    /// - Parameters:
    ///   - inputChannels: channels of the block's input.
    ///   - width: torchvision's `planes`; the output has `width × kind.expansion` channels.
    ///   - stride: 1, or 2 where the block halves the resolution.
    ///   - dilation: of the bottleneck's 3×3 convolution (padded by it, so the size is kept).
    /// - Throws: `ArchitectureError.noDilatedForm` for a dilated basic block.
    public init(kind: Kind, inputChannels: Int, width: Int, stride: Int, dilation: Int = 1, seed: UInt64) throws {
        if kind == .basic, dilation != 1 { throw ArchitectureError.noDilatedForm(.resnet18) }
        self.kind = kind
        outputChannels = width * kind.expansion
        switch kind {
        case .basic:
            lastConvolution = try Conv2d(inputChannels: width, outputChannels: width, kernelSize: 3, padding: 1, bias: false,
                                         seed: seed &+ 1)
            lastNorm = try BatchNorm2d(featureCount: width)
            main = [
                ("conv1", try Conv2d(inputChannels: inputChannels, outputChannels: width, kernelSize: 3, stride: stride,
                                     padding: 1, bias: false, seed: seed)),
                ("bn1", try BatchNorm2d(featureCount: width, fusesReLU: true)),
                ("conv2", lastConvolution),
                ("bn2", lastNorm),
            ]
        case .bottleneck:
            lastConvolution = try Conv2d(inputChannels: width, outputChannels: outputChannels, kernelSize: 1, bias: false,
                                         seed: seed &+ 2)
            lastNorm = try BatchNorm2d(featureCount: outputChannels)
            main = [
                ("conv1", try Conv2d(inputChannels: inputChannels, outputChannels: width, kernelSize: 1, bias: false, seed: seed)),
                ("bn1", try BatchNorm2d(featureCount: width, fusesReLU: true)),
                ("conv2", try Conv2d(inputChannels: width, outputChannels: width, kernelSize: 3, stride: stride,
                                     padding: dilation, dilation: dilation, bias: false, seed: seed &+ 1)),
                ("bn2", try BatchNorm2d(featureCount: width, fusesReLU: true)),
                ("conv3", lastConvolution),
                ("bn3", lastNorm),
            ]
        }
        if stride != 1 || inputChannels != outputChannels {
            downsample = Sequential([
                try Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1, stride: stride,
                           bias: false, seed: seed &+ 3),
                try BatchNorm2d(featureCount: outputChannels),
            ])
        } else {
            downsample = nil
        }
    }

    /// The torchvision children, then the residual sum (no parameters or buffers, so checkpoint
    /// names do not change), listed so that `setTraining` and `setOptions` reach it.
    public var namedChildren: [(name: String, module: Module)] {
        main.map { ($0.name, $0.layer as Module) } + (downsample.map { [("downsample", $0 as Module)] } ?? [])
            + [("add", add)]
    }

    /// Whether, folded in unrecorded evaluation, a block whose shortcut is the identity may write
    /// its output over its input (saving a copy of the input into the output buffer). Only for inputs
    /// nothing reads afterwards: `ResNet` sets it for its blocks, whose inputs are the fresh
    /// outputs of the layer before. Off for a block built alone.
    var overwritesInputInInference = false

    // x: (N, C_in, H, W) -> (N, C_out, H/stride, W/stride)
    public func forward(_ input: Tensor) throws -> Tensor {
        let shortcut = try downsample?.forward(input) ?? input
        var x = input
        for (_, layer) in main.dropLast(2) { x = try layer.forward(x) }
        ranFolded = lastConvolution.foldsBatchNorm
        if ranFolded {
            // Batch norms folded (`foldBatchNorm()`, unrecorded evaluation): the last convolution
            // also adds the shortcut (a sum post-operation into a buffer holding it) and applies
            // the final ReLU, in one primitive.
            return try lastConvolution.forwardFolded(x, residual: shortcut,
                                                     overwritesResidual: downsample != nil || overwritesInputInInference,
                                                     activation: .relu)
        }
        x = try lastNorm.forward(lastConvolution.forward(x))
        return try add.forward(x, shortcut)
    }

    /// Whether the last forward ran folded (so kept nothing for backward).
    private var ranFolded = false

    // dy: (N, C_out, H', W') -> dx: (N, C_in, H, W)
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        if ranFolded { throw LayerError.backwardNotRecorded("ResidualBlock") }
        let (mainGradient, shortcutGradient) = try add.backward(gradientOutput)
        let shortcutInputGradient = try downsample?.backward(shortcutGradient) ?? shortcutGradient
        var gradient = mainGradient
        for (_, layer) in main.reversed() { gradient = try layer.backward(gradient) }
        try gradient.accumulate(shortcutInputGradient)
        return gradient
    }
}
