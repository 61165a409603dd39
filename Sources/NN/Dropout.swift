import Random
import Tensor

/// Zeroes each element with probability p in training and scales the rest by 1/(1 − p), as
/// `torch.nn.Dropout`; the identity in evaluation. The mask comes from a seeded generator, so
/// runs repeat (its numbers are not PyTorch's).
///
/// Hand-written (oneDNN 2.6 has no dropout primitive). Works on the raw buffer in any layout:
/// the mask is per stored element, and padding of blocked layouts stays zero.
public final class Dropout: Layer {
    public let probability: Float
    public var isTraining = true

    private var random: SplitMix64
    private var mask: [Float] = []
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var gradientAdapter: LayoutAdapter?
    private var lastWasIdentity = true

    /// - Throws: `TensorError.invalidArgument` unless 0 ≤ p < 1.
    public init(probability: Float = 0.5, seed: UInt64 = 0) throws {
        guard probability >= 0, probability < 1 else {
            throw TensorError.invalidArgument("Dropout probability must be in [0, 1), got \(probability)")
        }
        self.probability = probability
        random = SplitMix64(layerSeed: seed)
    }

    /// The mask of the last training forward, one scale (0 or 1/(1 − p)) per stored element.
    public var lastMask: [Float] { mask }

    // x: any shape -> y: same shape and layout
    public func forward(_ input: Tensor) throws -> Tensor {
        lastWasIdentity = !isTraining || probability == 0
        if lastWasIdentity { return input }
        if output == nil || output!.layout != input.layout {
            output = try Tensor(layout: input.layout)
            inputGradient = try Tensor(layout: input.layout)
            gradientAdapter = LayoutAdapter(target: input.layout)
        }
        let count = input.byteCount / MemoryLayout<Float>.stride
        if mask.count != count { mask = [Float](repeating: 0, count: count) }
        let scale = 1 / (1 - probability)
        let keep = Double(1 - probability)
        for index in 0..<count { mask[index] = random.unit() < keep ? scale : 0 }
        // `count` floats: the input's whole buffer, and the output's, made for the same layout.
        let x = input.floats(count: count), y = output!.floats(count: count)
        for index in 0..<count { y[index] = x[index] * mask[index] }
        return output!
    }

    // dy -> dx = dy · mask
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        if lastWasIdentity { return gradientOutput }
        guard let output, let inputGradient, let gradientAdapter else { throw LayerError.backwardBeforeForward("Dropout") }
        guard gradientOutput.shape == output.shape else {
            throw TensorError.shapeMismatch("Dropout.backward expects a gradient of shape \(output.shape), got \(gradientOutput.shape)")
        }
        let gradient = try gradientAdapter.adapt(gradientOutput)
        // One mask value per float of the input's layout, which the gradient was adapted to.
        let dy = gradient.floats(count: mask.count), dx = inputGradient.floats(count: mask.count)
        for index in 0..<mask.count { dx[index] = dy[index] * mask[index] }
        return inputGradient
    }
}
