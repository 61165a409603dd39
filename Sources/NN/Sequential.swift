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

    /// Runs the layers in order (a batch norm folded into the convolution before it by
    /// `foldBatchNorm()` passes its input through in unrecorded evaluation).
    public func forward(_ input: Tensor) throws -> Tensor {
        var x = input
        for (_, layer) in layers { x = try layer.forward(x) }
        return x
    }

    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        var gradient = gradientOutput
        for (_, layer) in layers.reversed() { gradient = try layer.backward(gradient) }
        return gradient
    }
}
