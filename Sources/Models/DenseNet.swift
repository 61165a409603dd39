import NN
import Tensor

/// torchvision's DenseNet (Huang et al. 2017): a 7×7/2 stem and 3×3/2 max pooling, dense blocks
/// whose layers each see the concatenation of all earlier feature maps, transitions (batch norm,
/// ReLU, 1×1 conv halving the channels, 2×2 average pooling) between blocks, a final batch norm
/// and ReLU, global average pooling and a linear classifier — with torchvision's names
/// (`features.denseblock1.denselayer1.norm1.weight`, `features.transition1.conv.weight`,
/// `features.norm5.running_mean`, `classifier.weight`).
///
///     let model = try DenseNet(configuration: .denseNet121)
public final class DenseNet: Backbone {
    /// Growth rate, layers per block, stem channels and bottleneck factor.
    public struct Configuration: Sendable {
        public var growthRate: Int
        public var blockLayers: [Int]
        public var initialChannels: Int
        public var bottleneckFactor: Int

        public init(growthRate: Int, blockLayers: [Int], initialChannels: Int, bottleneckFactor: Int) {
            self.growthRate = growthRate
            self.blockLayers = blockLayers
            self.initialChannels = initialChannels
            self.bottleneckFactor = bottleneckFactor
        }

        /// DenseNet-121: growth 32, blocks (6, 12, 24, 16), 64 stem channels, bottleneck 4.
        public static let denseNet121 = Configuration(growthRate: 32, blockLayers: [6, 12, 24, 16],
                                                      initialChannels: 64, bottleneckFactor: 4)
    }

    /// conv0 … norm5, named as torchvision's `features`.
    public let features: Sequential
    let conv0: Conv2d
    let avgpool: GlobalAveragePool2d?
    /// The classifier; nil for a backbone.
    public let classifier: Linear?
    public let featureChannels: Int
    public var isTraining = true
    public private(set) var options = EngineOptions()

    /// - Parameters:
    ///   - classCount: outputs of `classifier`; nil builds the backbone, whose output is the
    ///     final ReLU's feature maps (N, featureChannels, H/32, W/32).
    public init(configuration: Configuration = .denseNet121, classCount: Int? = 1000, seed: UInt64 = 0) throws {
        conv0 = try Conv2d(inputChannels: 3, outputChannels: configuration.initialChannels, kernelSize: 7, stride: 2,
                           padding: 3, bias: false, seed: seed)
        var layers: [(name: String, layer: Layer)] = [
            ("conv0", conv0),
            ("norm0", try BatchNorm2d(featureCount: configuration.initialChannels, fusesReLU: true)),
            ("pool0", try MaxPool2d(kernelSize: 3, stride: 2, padding: 1)),
        ]
        var channels = configuration.initialChannels
        var blockSeed = seed &+ 1000
        for (index, count) in configuration.blockLayers.enumerated() {
            let block = try DenseBlock(layerCount: count, inputChannels: channels, growthRate: configuration.growthRate,
                                       bottleneckFactor: configuration.bottleneckFactor, seed: blockSeed)
            blockSeed &+= 1000
            layers.append(("denseblock\(index + 1)", block))
            channels = block.outputChannels
            if index != configuration.blockLayers.count - 1 {
                layers.append(("transition\(index + 1)", try Transition(channels: channels, seed: blockSeed &+ 500)))
                channels /= 2
            }
        }
        // norm5 and the final ReLU that torchvision applies in forward, fused.
        layers.append(("norm5", try BatchNorm2d(featureCount: channels, fusesReLU: true)))
        features = Sequential(named: layers)
        featureChannels = channels
        if let classCount {
            avgpool = GlobalAveragePool2d()
            classifier = try Linear(inputFeatures: channels, outputFeatures: classCount, seed: seed &+ 1)
        } else {
            avgpool = nil
            classifier = nil
        }
        foldBatchNorm()  // as `EngineOptions.foldsBatchNormInInference`'s default says
    }

    public func adopt(_ options: EngineOptions) { self.options = options }

    public var computesInputGradient: Bool {
        get { conv0.computesInputGradient }
        set { conv0.computesInputGradient = newValue }
    }

    public var namedChildren: [(name: String, module: Module)] {
        var children: [(name: String, module: Module)] = [("features", features)]
        if let avgpool, let classifier { children += [("avgpool", avgpool), ("classifier", classifier)] }
        return children
    }

    // x: (N, 3, H, W) -> (N, classCount) logits, or (N, featureChannels, H/32, W/32) for a backbone
    public func forward(_ input: Tensor) throws -> Tensor {
        try Context.applyThreadCount(options.threads)
        var x = try features.forward(input)
        if let avgpool, let classifier { x = try classifier.forward(avgpool.forward(x)) }
        return x
    }

    /// Weight gradients of the convolutions run beside the input-gradient chain (`OverlappedBackward`).
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        try Context.applyThreadCount(options.threads)
        return try OverlappedBackward.run(enabled: options.overlapsBackward) {
            var gradient = gradientOutput
            if let avgpool, let classifier { gradient = try avgpool.backward(classifier.backward(gradient)) }
            return try features.backward(gradient)
        }
    }
}

/// A transition between dense blocks: norm+relu (fused), conv (1×1 halving the channels), pool
/// (2×2 average), named as torchvision's `_Transition`.
///
/// In unrecorded evaluation (`EngineOptions.recordsGradientsInEvaluation` off) it pools before the convolution: a 1×1
/// convolution and an average pooling are both linear and per-position/per-channel, so they
/// commute exactly (up to rounding) — and the convolution then runs on a quarter of the positions.
/// Training and recorded evaluation keep torchvision's order.
final class Transition: Layer {
    let norm: BatchNorm2d
    let conv: Conv2d
    let pool: AvgPool2d
    var isTraining = true
    private var pooledFirst = false

    init(channels: Int, seed: UInt64) throws {
        norm = try BatchNorm2d(featureCount: channels, fusesReLU: true)
        conv = try Conv2d(inputChannels: channels, outputChannels: channels / 2, kernelSize: 1, bias: false, seed: seed)
        pool = try AvgPool2d(kernelSize: 2, stride: 2)
    }

    var namedChildren: [(name: String, module: Module)] { [("norm", norm), ("conv", conv), ("pool", pool)] }

    // x: (N, C, H, W) -> (N, C/2, H/2, W/2)
    func forward(_ input: Tensor) throws -> Tensor {
        pooledFirst = !conv.recordsGradients
        if pooledFirst { return try conv.forward(pool.forward(norm.forward(input))) }
        return try pool.forward(conv.forward(norm.forward(input)))
    }

    func backward(_ gradientOutput: Tensor) throws -> Tensor {
        if pooledFirst { throw LayerError.backwardNotRecorded("Transition") }
        return try norm.backward(conv.backward(pool.backward(gradientOutput)))
    }
}

/// One dense layer: norm1+relu1, conv1 (1×1 to bottleneckFactor × growthRate), norm2+relu2,
/// conv2 (3×3 to growthRate), as torchvision's `_DenseLayer` (no dropout); each ReLU is fused
/// into its batch norm.
final class DenseLayer: Layer {
    let sequence: Sequential
    var isTraining = true

    init(inputChannels: Int, growthRate: Int, bottleneckFactor: Int, seed: UInt64) throws {
        let bottleneck = bottleneckFactor * growthRate
        sequence = Sequential(named: [
            ("norm1", try BatchNorm2d(featureCount: inputChannels, fusesReLU: true)),
            ("conv1", try Conv2d(inputChannels: inputChannels, outputChannels: bottleneck, kernelSize: 1, bias: false, seed: seed)),
            ("norm2", try BatchNorm2d(featureCount: bottleneck, fusesReLU: true)),
            ("conv2", try Conv2d(inputChannels: bottleneck, outputChannels: growthRate, kernelSize: 3, padding: 1, bias: false,
                                 seed: seed &+ 1)),
        ])
    }

    var namedChildren: [(name: String, module: Module)] { sequence.namedChildren }
    func forward(_ input: Tensor) throws -> Tensor { try sequence.forward(input) }
    func backward(_ gradientOutput: Tensor) throws -> Tensor { try sequence.backward(gradientOutput) }
}

/// A dense block: layer i reads the concatenation of the block input and the outputs of layers
/// 0..<i; the block outputs the concatenation of all of them.
///
/// Backward keeps one gradient per feature map: the final concatenation's backward gives each its
/// share, then each layer, last first, adds its input gradient's slices into the gradients of
/// the maps it read — every map's gradient is complete before its own layer's backward runs.
final class DenseBlock: Layer {
    let layers: [DenseLayer]
    /// concats[i] joins the maps layer i reads (none for layer 0, which reads the block input).
    let concats: [Concat]
    let outputConcat = Concat()
    let outputChannels: Int
    var isTraining = true

    init(layerCount: Int, inputChannels: Int, growthRate: Int, bottleneckFactor: Int, seed: UInt64) throws {
        layers = try (0 ..< layerCount).map {
            try DenseLayer(inputChannels: inputChannels + $0 * growthRate, growthRate: growthRate,
                           bottleneckFactor: bottleneckFactor, seed: seed &+ UInt64($0) &* 2)
        }
        concats = (0 ..< layerCount).map { _ in Concat() }
        outputChannels = inputChannels + layerCount * growthRate
    }

    /// The torchvision children, then the concatenations (no parameters or buffers, so checkpoint
    /// names do not change), listed so that `setTraining` and `setOptions` reach them.
    var namedChildren: [(name: String, module: Module)] {
        layers.enumerated().map { ("denselayer\($0.offset + 1)", $0.element as Module) }
            + concats.enumerated().dropFirst().map { ("concat\($0.offset)", $0.element as Module) }
            + [("concat", outputConcat)]
    }

    // x: (N, C, H, W) -> (N, C + layerCount·growthRate, H, W)
    func forward(_ input: Tensor) throws -> Tensor {
        var maps = [input]
        for (index, layer) in layers.enumerated() {
            let layerInput = index == 0 ? input : try concats[index].forward(maps)
            maps.append(try layer.forward(layerInput))
        }
        return try outputConcat.forward(maps)
    }

    func backward(_ gradientOutput: Tensor) throws -> Tensor {
        // gradients[k]: the gradient of map k (0 = block input), owned by outputConcat.
        let gradients = try outputConcat.backward(gradientOutput)
        for index in layers.indices.reversed() {
            let inputGradient = try layers[index].backward(gradients[index + 1])
            if index == 0 {
                try gradients[0].accumulate(inputGradient)
            } else {
                try concats[index].backward(inputGradient, accumulatingInto: Array(gradients[0 ... index]))
            }
        }
        return gradients[0]
    }
}
