import Random
import Tensor

/// y = x·Wᵀ + b, as `torch.nn.Linear` (`InnerProductKernel`); parameters `weight` (O, I) and
/// `bias` (O) use torch's names. Input and output are plain (N, features).
public final class Linear: Layer {
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true

    private let kernel: InnerProductKernel
    /// The last forward's input in the kernel's layout, for backward.
    private var lastInput: Tensor?

    /// - Throws: `TensorError.invalidArgument` for non-positive feature counts.
    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, seed: UInt64 = 0) throws {
        guard inputFeatures > 0, outputFeatures > 0 else {
            throw TensorError.invalidArgument("Linear needs positive feature counts, got \(inputFeatures) -> \(outputFeatures)")
        }
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        var random = SplitMix64(layerSeed: seed)
        let bound = 1 / Float(inputFeatures).squareRoot()
        weight = try Parameter(shape: [outputFeatures, inputFeatures],
                               values: random.values(count: outputFeatures * inputFeatures, bound: bound))
        self.bias = bias ? try Parameter(shape: [outputFeatures], values: random.values(count: outputFeatures, bound: bound)) : nil
        kernel = InnerProductKernel(inputFeatures: inputFeatures, outputFeatures: outputFeatures, hasBias: bias)
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    // x: (N, I) -> y: (N, O)
    public func forward(_ input: Tensor) throws -> Tensor {
        try requireShape(input, rank: 2, channels: inputFeatures, layer: "Linear")
        let (output, source) = try kernel.forward(input, weight: weight.value, bias: bias?.value)
        lastInput = source
        return output
    }

    // dy: (N, O) -> dx: (N, I); dW, db accumulate
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let input = lastInput else { throw LayerError.backwardBeforeForward("Linear") }
        let inputGradient = try kernel.backward(gradientOutput, source: input, weight: weight.value,
                                                weightGradient: weight.isTrainable ? weight.gradient : nil,
                                                biasGradient: (bias?.isTrainable ?? false) ? bias?.gradient : nil)
        for parameter in localParameters.map(\.parameter) where parameter.isTrainable { try parameter.gradientComputed() }
        return inputGradient
    }
}
