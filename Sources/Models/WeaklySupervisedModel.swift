import NN
import SafeTensors
import Tensor

/// The paper's weakly supervised multi-label classifier (Wang et al. 2017, §4.1): a backbone
/// without its classifier, a transition layer (3×3 convolution with bias, padding 1) to a
/// uniform S×S×D map, global pooling (average, max, or log-sum-exp with r), and a prediction
/// layer (D×C inner product); a sigmoid per class turns its logits into probabilities (applied
/// by the loss in training).
///
/// Parameter names: the backbone's torchvision names unchanged (`conv1.weight`, `layer4.2.bn3.bias`
/// or `features.…`), then `transition.weight`, `transition.bias`, `prediction.weight`,
/// `prediction.bias` — so ImageNet backbone weights load with `Checkpoint.loadBackbone`.
public final class WeaklySupervisedModel: Layer {
    /// Global pooling of the transition maps.
    public enum Pooling: Equatable, Sendable {
        case average
        case max
        /// x* + (1/r)·log((1/S²)·Σ exp(r·(x_ij − x*))); the paper's best was r = 10.
        case logSumExp(r: Float)
    }

    public let backbone: Backbone
    public let transition: Conv2d
    public let pooling: Pooling
    let poolingLayer: Layer
    public let prediction: Linear
    public let classCount: Int
    public var isTraining = true
    /// The options `setOptions(_:)` gave. The head reads only `threads`, set at the start of
    /// forward and backward: its backward runs before the backbone's would set them.
    public private(set) var options = EngineOptions()
    /// The transition activations of the last forward pass (the CAM's a_{i,j,d}).
    private var lastTransition: Tensor?
    private var heatmapConvolution: Conv2d?

    /// - Parameters:
    ///   - backbone: e.g. `ResNet(depth: .resNet50, classCount: nil)`.
    ///   - classCount: C, e.g. 14.
    ///   - transitionChannels: D (the paper: 2048 for ResNet).
    ///   - transitionStride: the transition convolution's stride; S = (backbone map size) / stride.
    public init(backbone: Backbone, classCount: Int, transitionChannels: Int, pooling: Pooling,
                transitionStride: Int = 1, seed: UInt64 = 7) throws {
        self.backbone = backbone
        self.classCount = classCount
        self.pooling = pooling
        transition = try Conv2d(inputChannels: backbone.featureChannels, outputChannels: transitionChannels, kernelSize: 3,
                                stride: transitionStride, padding: 1, bias: true, seed: seed)
        switch pooling {
        case .average: poolingLayer = GlobalAveragePool2d()
        case .max: poolingLayer = GlobalMaxPool2d()
        case .logSumExp(let r): poolingLayer = try LSEPool2d(r: r)
        }
        prediction = try Linear(inputFeatures: transitionChannels, outputFeatures: classCount, seed: seed &+ 1)
    }

    public var namedChildren: [(name: String, module: Module)] {
        backbone.namedChildren + [("transition", transition), ("pooling", poolingLayer), ("prediction", prediction)]
    }

    /// The backbone's children are this model's, the backbone itself is none: it takes the options here.
    public func adopt(_ options: EngineOptions) {
        self.options = options
        backbone.adopt(options)
    }

    // x: (N, 3, H, W) -> logits (N, C)
    public func forward(_ input: Tensor) throws -> Tensor {
        try Context.applyThreadCount(options.threads)
        let maps = try transition.forward(backbone.forward(input))
        lastTransition = maps
        return try prediction.forward(poolingLayer.forward(maps))
    }

    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        try Context.applyThreadCount(options.threads)
        return try backbone.backward(transition.backward(poolingLayer.backward(prediction.backward(gradientOutput))))
    }

    /// The class activation maps of the last forward pass: heatmap[n, c, i, j] =
    /// Σ_d w[c, d] · a[n, d, i, j], with w the prediction layer's weights and a the transition
    /// activations (bias not added: it shifts every position equally). Shape (N, C, S, S), plain.
    /// - Throws: `LayerError.backwardBeforeForward` when no forward pass has run.
    public func heatmaps() throws -> Tensor {
        guard let maps = lastTransition else { throw LayerError.backwardBeforeForward("WeaklySupervisedModel.heatmaps") }
        // A 1×1 convolution whose (C, D, 1, 1) weights are the prediction weights (C, D): the
        // same numbers in the same row-major order.
        let convolution = try heatmapConvolution ?? Conv2d(inputChannels: maps.shape[1], outputChannels: classCount,
                                                           kernelSize: 1, bias: false)
        heatmapConvolution = convolution
        convolution.isTraining = false
        try convolution.weight.setValues(prediction.weight.value.toArray())
        let result = try convolution.forward(maps)
        return try Tensor(shape: result.shape, values: result.toArray())
    }
}

extension Checkpoint {
    /// The classifier prefixes of the supported architectures' checkpoints (torchvision's ResNet
    /// `fc.`, DenseNet `classifier.`, EfficientNet-Lite0 `_fc.`).
    public static let classifierPrefixes = ["fc.", "classifier.", "_fc."]

    /// Loads ImageNet-style backbone weights into `model.backbone`, ignoring the file's
    /// classifier (`classifierPrefixes`); the head keeps its initialization.
    /// - Throws: `TensorNameMismatch` naming every backbone tensor missing or mis-shaped.
    public static func loadBackbone(into model: WeaklySupervisedModel, from file: SafeTensorsFile) throws {
        try load(into: model.backbone, from: file) { name in classifierPrefixes.contains { name.hasPrefix($0) } }
    }
}
