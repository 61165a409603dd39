import Random
import Tensor

/// Drops the whole residual branch of a sample with probability p in training and divides the
/// kept ones by 1 − p — the "drop connect" of the EfficientNet package (`utils.drop_connect`,
/// torchvision's `StochasticDepth(mode: "row")`): y_n = (x_n / (1 − p)) · b_n with
/// b_n = ⌊(1 − p) + u_n⌋, u_n ~ U[0, 1), one draw per sample. The identity in evaluation.
///
/// The draws come from a seeded generator, so runs repeat (they are not PyTorch's numbers).
/// Hand-written: oneDNN 2.6 has no such primitive. Works on any layout whose batch dimension
/// is outermost (plain NCHW, nChw8c, nChw16c, NHWC), where each sample is one contiguous run.
public final class StochasticDepth: Layer {
    public let probability: Float
    public var isTraining = true

    private var random: SplitMix64
    private var kept: [Bool] = []
    /// nil until the first forward.
    private var lastWasIdentity: Bool?
    private var outputShape: [Int]?

    /// - Throws: `TensorError.invalidArgument` unless 0 ≤ p < 1.
    public init(probability: Float, seed: UInt64 = 0) throws {
        guard probability >= 0, probability < 1 else {
            throw TensorError.invalidArgument("StochasticDepth probability must be in [0, 1), got \(probability)")
        }
        self.probability = probability
        random = SplitMix64(layerSeed: seed)
    }

    /// Restarts the draws from `seed` (a trainer reseeds per batch, so that a resumed run
    /// draws what an uninterrupted one would).
    public func reseed(_ seed: UInt64) { random = SplitMix64(layerSeed: seed) }

    /// Per sample of the last training forward: whether its branch was kept.
    public var lastKeptSamples: [Bool] { kept }

    // x: (N, …) -> y: same shape and layout
    public func forward(_ input: Tensor) throws -> Tensor {
        let identity = !isTraining || probability == 0
        lastWasIdentity = identity
        if identity { return input }
        let samples = input.shape[0]
        let run = try Self.sampleRun(of: input)
        let keepProbability = 1 - probability
        kept = (0 ..< samples).map { _ in (keepProbability + Float(random.unit())).rounded(.down) >= 1 }
        outputShape = input.shape
        let output = try Tensor(layout: input.layout, zeroed: false)
        scaleKeptSamples(of: input, into: output, run: run)
        return output
    }

    // dy -> dx = dy · b_n / (1 − p)
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let lastWasIdentity else { throw LayerError.backwardBeforeForward("StochasticDepth") }
        if lastWasIdentity { return gradientOutput }
        guard let outputShape else { throw LayerError.backwardBeforeForward("StochasticDepth") }
        guard gradientOutput.shape == outputShape else {
            throw TensorError.shapeMismatch("StochasticDepth.backward expects a gradient of shape \(outputShape), got \(gradientOutput.shape)")
        }
        self.outputShape = nil
        let inputGradient = try Tensor(layout: gradientOutput.layout, zeroed: false)
        scaleKeptSamples(of: gradientOutput, into: inputGradient, run: try Self.sampleRun(of: gradientOutput))
        return inputGradient
    }

    /// target_n = source_n / (1 − p) for kept samples, 0 for dropped ones: the forward's map and,
    /// being linear and diagonal, its backward's too. `run` floats per sample.
    private func scaleKeptSamples(of source: Tensor, into target: Tensor, run: Int) {
        let keepProbability = 1 - probability
        // `kept.count` runs of `run` floats: the whole buffer of both (`sampleRun(of:)`, same layout).
        let from = source.floats(count: kept.count * run), to = target.floats(count: kept.count * run)
        for (sample, isKept) in kept.enumerated() {
            let start = sample * run
            if isKept {
                for index in start ..< start + run { to[index] = from[index] / keepProbability }
            } else {
                (to + start).update(repeating: 0, count: run)
            }
        }
    }

    /// Floats per sample, padding included, after checking that samples are contiguous runs
    /// one after the other (the batch stride times N covers the whole buffer).
    static func sampleRun(of tensor: Tensor) throws -> Int {
        let samples = tensor.shape[0]
        let floats = tensor.byteCount / MemoryLayout<Float>.stride
        guard samples > 0, let batchStride = tensor.layout.outermostStride, batchStride * samples == floats else {
            throw TensorError.invalidArgument("StochasticDepth needs the batch dimension outermost; got \(tensor.layoutName) for shape \(tensor.shape)")
        }
        return batchStride
    }
}
