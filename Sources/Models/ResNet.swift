import NN
import Tensor

/// torchvision's ResNet (He et al. 2016; v1.5 bottlenecks): a 7×7/2 stem, 3×3/2 max pooling,
/// four stages of residual blocks (the last three halve the resolution), global average pooling
/// and a fully connected classifier — with torchvision's parameter names (`conv1.weight`,
/// `layer2.0.downsample.1.running_var`, `fc.bias`).
///
///     let model = try ResNet(depth: .resNet50)                 // the ImageNet classifier
///     let backbone = try ResNet(depth: .resNet50, classCount: nil)  // feature maps only
public final class ResNet: Backbone {
    /// The standard depths: block kind and blocks per stage.
    public enum Depth: Sendable, CaseIterable {
        case resNet18, resNet34, resNet50, resNet101

        public var blockKind: ResidualBlock.Kind { self == .resNet18 || self == .resNet34 ? .basic : .bottleneck }
        public var blockCounts: [Int] {
            switch self {
            case .resNet18: return [2, 2, 2, 2]
            case .resNet34, .resNet50: return [3, 4, 6, 3]
            case .resNet101: return [3, 4, 23, 3]
            }
        }
    }

    public let conv1: Conv2d
    /// Batch norm with the stem's ReLU fused.
    public let bn1: BatchNorm2d
    let maxpool: MaxPool2d
    public let stages: [Sequential]
    let avgpool: GlobalAveragePool2d?
    /// The classifier; nil for a backbone.
    public let fc: Linear?
    public let featureChannels: Int
    public var isTraining = true
    public private(set) var options = EngineOptions()

    /// - Parameters:
    ///   - depth: 18, 34, 50 or 101 layers.
    ///   - classCount: outputs of `fc` (1000 for ImageNet); nil builds the backbone alone,
    ///     whose output is the last stage's feature maps.
    ///   - width: channels of the stem and first stage (torchvision: 64); smaller widths give
    ///     the tiny models of the golden tests.
    ///   - blockCounts: blocks per stage, overriding the depth's (tests).
    ///   - outputStride: 32 as torchvision builds it, or 16: the last stage keeps stride 1 and the
    ///     3×3 convolutions of its later blocks are dilated by 2 (torchvision's
    ///     `replace_stride_with_dilation=[False, False, True]`; bottleneck blocks only).
    ///   - seed: initialization seed (PyTorch's default uniform initialization).
    /// - Throws: `ArchitectureError.noDilatedForm` for output stride 16 with basic blocks.
    public init(depth: Depth, classCount: Int? = 1000, width: Int = 64, blockCounts: [Int]? = nil,
                outputStride: OutputStride = .thirtyTwo, seed: UInt64 = 0) throws {
        let counts = blockCounts ?? depth.blockCounts
        let kind = depth.blockKind
        conv1 = try Conv2d(inputChannels: 3, outputChannels: width, kernelSize: 7, stride: 2, padding: 3, bias: false, seed: seed)
        bn1 = try BatchNorm2d(featureCount: width, fusesReLU: true)
        maxpool = try MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        var channels = width
        var stages: [Sequential] = []
        var blockSeed = seed &+ 100
        // conv1 and maxpool halve the image, then every stage but the first.
        let plan = outputStride.plan(strides: [2, 2] + counts.indices.map { $0 > 0 ? 2 : 1 }).dropFirst(2)
        for ((index, count), step) in zip(counts.enumerated(), plan) {
            let stageWidth = width << index
            var blocks: [Layer] = []
            for block in 0 ..< count {
                let residual = try ResidualBlock(kind: kind, inputChannels: channels, width: stageWidth,
                                                 stride: block == 0 ? step.stride : 1,
                                                 dilation: block == 0 ? step.dilationBefore : step.dilationAfter,
                                                 seed: blockSeed)
                blockSeed &+= 10
                residual.overwritesInputInInference = true  // its input is the previous layer's fresh output
                channels = residual.outputChannels
                blocks.append(residual)
            }
            stages.append(Sequential(blocks))
        }
        self.stages = stages
        featureChannels = channels
        if let classCount {
            avgpool = GlobalAveragePool2d()
            fc = try Linear(inputFeatures: channels, outputFeatures: classCount, seed: seed &+ 1)
        } else {
            avgpool = nil
            fc = nil
        }
        foldBatchNorm()  // as `EngineOptions.foldsBatchNormInInference`'s default says
    }

    public func adopt(_ options: EngineOptions) { self.options = options }

    public var computesInputGradient: Bool {
        get { conv1.computesInputGradient }
        set { conv1.computesInputGradient = newValue }
    }

    public var namedChildren: [(name: String, module: Module)] {
        var children: [(name: String, module: Module)] = [("conv1", conv1), ("bn1", bn1), ("maxpool", maxpool)]
        children += stages.enumerated().map { ("layer\($0.offset + 1)", $0.element as Module) }
        if let avgpool, let fc { children += [("avgpool", avgpool), ("fc", fc)] }
        return children
    }

    // x: (N, 3, H, W) -> (N, classCount) logits, or (N, featureChannels, H/32, W/32) for a backbone
    public func forward(_ input: Tensor) throws -> Tensor {
        try Context.applyThreadCount(options.threads)
        var x = try maxpool.forward(bn1.forward(conv1.forward(input)))
        for stage in stages { x = try stage.forward(x) }
        if let avgpool, let fc { x = try fc.forward(avgpool.forward(x)) }
        return x
    }

    /// Weight gradients of the convolutions run beside the input-gradient chain (`OverlappedBackward`).
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        try Context.applyThreadCount(options.threads)
        return try OverlappedBackward.run(enabled: options.overlapsBackward) {
            var gradient = gradientOutput
            if let avgpool, let fc { gradient = try avgpool.backward(fc.backward(gradient)) }
            for stage in stages.reversed() { gradient = try stage.backward(gradient) }
            return try conv1.backward(bn1.backward(maxpool.backward(gradient)))
        }
    }
}
