/// How a model runs: the engine's choices that change speed, memory or float32 rounding but not
/// what is computed, and whether evaluation keeps what backward needs. A value the model carries
/// (`Module.setOptions(_:)` hands it to every layer); nothing reads it from a global.
///
/// The defaults are what Thorax runs. For benchmarks each flag can be overridden from the environment,
/// parsed only here (`init(environment:)`): each variable is `0` (off) or `1` (on), unset means
/// the default, and any other value is an error naming the variable.
///
/// | variable | default | what it turns on |
/// | --- | --- | --- |
/// | `THORAX_BATCHNORM_DOUBLE` | off | `batchNormAccumulatesInDouble` |
/// | `THORAX_FOLD_BATCHNORM` | on | `foldsBatchNormInInference` |
/// | `THORAX_OVERLAPPED_BACKWARD` | on | `overlapsBackward` |
/// | `THORAX_WINOGRAD_WEIGHT_GRADIENT` | on | `winogradWeightGradient` |
/// | `THORAX_BUFFER_POOL` | on | tensor buffers recycled (`recyclesBuffers(environment:)`) |
public struct EngineOptions: Equatable, Sendable {
    /// Training-mode batch-norm statistics and backward sums accumulated in double, as PyTorch's
    /// CPU kernel does: ≈ 7 % of a DenseNet-121 training step on 2 threads (5 % on 1), for
    /// gradients as close to float64 as PyTorch's.
    public var batchNormAccumulatesInDouble: Bool
    /// In unrecorded evaluation, each batch norm that follows a convolution is folded into it
    /// (and the ReLU and residual sum after it fused): one primitive instead of several.
    public var foldsBatchNormInInference: Bool
    /// Convolution weight gradients computed on a second thread beside the input-gradient chain.
    public var overlapsBackward: Bool
    /// The weight gradient of wide 3×3 stride-1 convolutions by Winograd F(2×2, 3×3).
    public var winogradWeightGradient: Bool
    /// Layers in evaluation mode keep what backward needs (as training does), so gradients can
    /// be taken with running statistics and without dropout; off, evaluation keeps nothing (as
    /// under PyTorch's `torch.no_grad()`) and backward after it throws.
    public var recordsGradientsInEvaluation: Bool
    /// oneDNN's (OpenMP) threads for the model's forward and backward, at least 1: the model
    /// sets them on whichever thread runs it, at the start of each pass
    /// (`Context.applyThreadCount(_:)`), so its primitives are made and run under this count
    /// there. nil leaves the running thread's setting alone (OpenMP's default: all cores, or
    /// `OMP_NUM_THREADS`).
    public var threads: Int?

    public init(batchNormAccumulatesInDouble: Bool = false, foldsBatchNormInInference: Bool = true,
                overlapsBackward: Bool = true, winogradWeightGradient: Bool = true,
                recordsGradientsInEvaluation: Bool = false, threads: Int? = nil) {
        self.batchNormAccumulatesInDouble = batchNormAccumulatesInDouble
        self.foldsBatchNormInInference = foldsBatchNormInInference
        self.overlapsBackward = overlapsBackward
        self.winogradWeightGradient = winogradWeightGradient
        self.recordsGradientsInEvaluation = recordsGradientsInEvaluation
        self.threads = threads
    }

    /// A variable with a value other than `0` or `1`.
    public struct InvalidValue: Error, Equatable, CustomStringConvertible {
        public let variable: String
        public let value: String
        public init(variable: String, value: String) {
            self.variable = variable
            self.value = value
        }
        public var description: String { "environment variable \(variable) is '\(value)'; it must be 0 (off) or 1 (on), or unset" }
    }

    /// `base` with the overrides an environment sets (other variables are ignored).
    /// - Throws: `InvalidValue` for the first variable, in the table's order, whose value is
    ///   neither `0` nor `1`.
    public init(environment: [String: String], overriding base: EngineOptions = EngineOptions()) throws(InvalidValue) {
        self = base
        if let value = try Self.flag("THORAX_BATCHNORM_DOUBLE", in: environment) { batchNormAccumulatesInDouble = value }
        if let value = try Self.flag("THORAX_FOLD_BATCHNORM", in: environment) { foldsBatchNormInInference = value }
        if let value = try Self.flag("THORAX_OVERLAPPED_BACKWARD", in: environment) { overlapsBackward = value }
        if let value = try Self.flag("THORAX_WINOGRAD_WEIGHT_GRADIENT", in: environment) { winogradWeightGradient = value }
    }

    /// Whether tensor buffers are recycled (`THORAX_BUFFER_POOL`, default on). Not an option of a
    /// model: the allocator is one per process, read once when the first tensor is made.
    /// - Throws: `InvalidValue` for a value other than `0` or `1`.
    public static func recyclesBuffers(environment: [String: String]) throws(InvalidValue) -> Bool {
        try flag("THORAX_BUFFER_POOL", in: environment) ?? true
    }

    /// Why an environment's engine variables cannot be taken (the first bad one), or nil.
    public static func problem(in environment: [String: String]) -> InvalidValue? {
        do {
            _ = try EngineOptions(environment: environment)
            _ = try recyclesBuffers(environment: environment)
            return nil
        } catch {
            return error
        }
    }

    /// `0` → false, `1` → true, unset → nil.
    private static func flag(_ name: String, in environment: [String: String]) throws(InvalidValue) -> Bool? {
        switch environment[name] {
        case nil: return nil
        case "0": return false
        case "1": return true
        case let value?: throw InvalidValue(variable: name, value: value)
        }
    }
}

extension EngineOptions {
    /// Whether a layer in training mode (`training`) or evaluation keeps what its backward needs.
    @inlinable public func recordsGradients(training: Bool) -> Bool { training || recordsGradientsInEvaluation }
}
