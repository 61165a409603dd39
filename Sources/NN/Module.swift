import Tensor

/// Anything with parameters, buffers and child modules, named the way torchvision names them
/// ("layer1.0.conv1.weight", "bn1.running_mean").
public protocol Module: AnyObject {
    /// Training mode (batch statistics, dropout active) or evaluation mode.
    var isTraining: Bool { get set }
    /// Direct children with their attribute names.
    var namedChildren: [(name: String, module: Module)] { get }
    /// This module's own parameters (not its children's), e.g. ("weight", …), ("bias", …).
    var localParameters: [(name: String, parameter: Parameter)] { get }
    /// This module's own non-learnable state saved in checkpoints, e.g. ("running_mean", …).
    var localBuffers: [(name: String, tensor: Tensor)] { get }
    /// Takes the engine options for this module itself (not its children: `setOptions(_:)`
    /// reaches those). Modules that use none ignore them.
    func adopt(_ options: EngineOptions)
}

extension Module {
    public var namedChildren: [(name: String, module: Module)] { [] }
    public var localParameters: [(name: String, parameter: Parameter)] { [] }
    public var localBuffers: [(name: String, tensor: Tensor)] { [] }
    public func adopt(_ options: EngineOptions) {}

    /// Every parameter of this module and its descendants with its dotted name, in definition order.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var result = localParameters
        for (childName, child) in namedChildren {
            result += child.namedParameters().map { ("\(childName).\($0.name)", $0.parameter) }
        }
        return result
    }

    /// Every buffer of this module and its descendants with its dotted name.
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        var result = localBuffers
        for (childName, child) in namedChildren {
            result += child.namedBuffers().map { ("\(childName).\($0.name)", $0.tensor) }
        }
        return result
    }

    /// Sets training mode on this module and every descendant.
    public func setTraining(_ training: Bool) {
        isTraining = training
        for (_, child) in namedChildren { child.setTraining(training) }
    }

    /// Hands `options` to this module and every descendant, then folds each batch norm into the
    /// convolution before it or undoes that, as `options.foldsBatchNormInInference` says
    /// (`foldBatchNorm()`).
    public func setOptions(_ options: EngineOptions) {
        forEachModule { $0.adopt(options) }
        if options.foldsBatchNormInInference { foldBatchNorm() } else { unfoldBatchNorm() }
    }

    /// Calls `body` on this module and every descendant, parents first.
    public func forEachModule(_ body: (Module) -> Void) {
        body(self)
        for (_, child) in namedChildren { child.forEachModule(body) }
    }

    /// Zeroes the accumulated gradient of every parameter.
    public func zeroGradients() {
        for (_, parameter) in namedParameters() { parameter.zeroGradient() }
    }
}

/// A module with one input and one output.
///
/// `forward` returns a tensor the layer owns and overwrites on its next forward call; the layer
/// keeps what its backward needs (its input, its output, workspaces). `backward` takes the
/// gradient of the loss with respect to the last forward's output and returns the gradient with
/// respect to its input (also layer-owned), and adds the parameters' gradients to
/// `Parameter.gradient`. Call backward at most once per forward, in reverse order of forward.
public protocol Layer: Module {
    func forward(_ input: Tensor) throws -> Tensor
    func backward(_ gradientOutput: Tensor) throws -> Tensor
}

/// Errors of layers used out of order.
public enum LayerError: Error, CustomStringConvertible {
    case backwardBeforeForward(String)
    /// The last forward ran in evaluation mode without `EngineOptions.recordsGradientsInEvaluation`.
    case backwardNotRecorded(String)

    /// `.backwardNotRecorded` when the layer has run an unrecorded forward, else `.backwardBeforeForward`.
    static func backwardWithoutRecord(_ layer: String, _ ranUnrecorded: Bool) -> LayerError {
        ranUnrecorded ? .backwardNotRecorded(layer) : .backwardBeforeForward(layer)
    }

    public var description: String {
        switch self {
        case .backwardBeforeForward(let layer): return "\(layer).backward called before forward"
        case .backwardNotRecorded(let layer):
            return "\(layer).backward after an evaluation-mode forward that kept nothing for backward; "
                + "set EngineOptions.recordsGradientsInEvaluation (Module.setOptions) before that forward"
        }
    }
}

/// Checks a layer input's rank and, where given, its channel count.
func requireShape(_ tensor: Tensor, rank: Int, channels: Int? = nil, layer: String) throws {
    guard tensor.shape.count == rank else {
        throw TensorError.shapeMismatch("\(layer) expects a rank-\(rank) input, got shape \(tensor.shape)")
    }
    if let channels, tensor.shape[1] != channels {
        throw TensorError.shapeMismatch("\(layer) expects \(channels) channels, got shape \(tensor.shape)")
    }
}
