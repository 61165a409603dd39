import Tensor

/// Layers applied one after another; children are named "0", "1", … as in `torch.nn.Sequential`,
/// or by the names given.
public final class Sequential: Layer {
    public private(set) var layers: [(name: String, layer: Layer)]
    public var isTraining = true

    public init(_ layers: [Layer]) {
        self.layers = layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public init(named layers: [(name: String, layer: Layer)]) {
        self.layers = layers
    }

    /// Appends a layer, named by its position unless a name is given.
    public func append(_ layer: Layer, name: String? = nil) {
        layers.append((name ?? String(layers.count), layer))
    }

    public var namedChildren: [(name: String, module: Module)] { layers.map { ($0.name, $0.layer as Module) } }

    /// Runs the layers in order; in unrecorded evaluation (see `GradientRecording`) a
    /// convolution followed by a batch norm runs as one fused convolution when
    /// `Conv2d.fusesBatchNormInInference` is on.
    public func forward(_ input: Tensor) throws -> Tensor {
        var x = input
        var index = 0
        ranFused = false
        while index < layers.count {
            if index + 1 < layers.count, let (convolution, batchNorm) = Conv2d.fusible(layers[index].layer, layers[index + 1].layer) {
                x = try convolution.forward(x, fusing: ConvolutionFusion(batchNorm: batchNorm, relu: batchNorm.fusesReLU))
                ranFused = true
                index += 2
            } else {
                x = try layers[index].layer.forward(x)
                index += 1
            }
        }
        return x
    }
    private var ranFused = false

    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        if ranFused { throw LayerError.backwardNotRecorded("Sequential") }
        var gradient = gradientOutput
        for (_, layer) in layers.reversed() { gradient = try layer.backward(gradient) }
        return gradient
    }
}
