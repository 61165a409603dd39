import Foundation

/// The engine's environment switches, parsed in this one place: each is `0` (off) or `1` (on),
/// unset means its default, and any other value is an error naming the variable.
///
/// | variable | default | what it turns on |
/// | --- | --- | --- |
/// | `THORAX_BATCHNORM_DOUBLE` | off | batch-norm sums in double (`BatchNorm2d.accumulatesInDouble`) |
/// | `THORAX_FOLD_BATCHNORM` | on | batch norm folded into the convolution in inference (`Conv2d.fusesBatchNormInInference`) |
/// | `THORAX_OVERLAPPED_BACKWARD` | on | weight gradients on a second thread (`OverlappedBackward.isEnabled`) |
/// | `THORAX_WINOGRAD_CONVOLUTION` | off | Winograd forward and input gradient (`WinogradConvolution.isEnabled`) |
/// | `THORAX_WINOGRAD_WEIGHT_GRADIENT` | on | Winograd weight gradient (`WinogradWeightGradient.isEnabled`) |
/// | `THORAX_BUFFER_POOL` | on | tensor buffers recycled (off: each allocated with exactly its bytes and freed, for ASan and valgrind) |
///
/// The process reads them once (`EngineSwitches.process`); the layers' static switches start from
/// those values and tests set them directly. They live in the lowest engine module so that the
/// buffer pool can read its own.
public struct EngineSwitches: Equatable, Sendable {
    public var batchNormAccumulatesInDouble = false
    public var foldsBatchNormInInference = true
    public var overlapsBackward = true
    public var winogradConvolution = false
    public var winogradWeightGradient = true
    public var recyclesBuffers = true

    /// The defaults (every variable unset).
    public init() {}

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

    /// The variables and the switch each sets, in the table's order.
    static let variables: [(name: String, path: WritableKeyPath<EngineSwitches, Bool>)] = [
        ("THORAX_BATCHNORM_DOUBLE", \.batchNormAccumulatesInDouble),
        ("THORAX_FOLD_BATCHNORM", \.foldsBatchNormInInference),
        ("THORAX_OVERLAPPED_BACKWARD", \.overlapsBackward),
        ("THORAX_WINOGRAD_CONVOLUTION", \.winogradConvolution),
        ("THORAX_WINOGRAD_WEIGHT_GRADIENT", \.winogradWeightGradient),
        ("THORAX_BUFFER_POOL", \.recyclesBuffers),
    ]

    /// The switches an environment sets (other variables are ignored).
    /// - Throws: `InvalidValue` for the first variable whose value is neither `0` nor `1`.
    public init(environment: [String: String]) throws(InvalidValue) {
        for (name, path) in Self.variables {
            switch environment[name] {
            case nil: continue
            case "0": self[keyPath: path] = false
            case "1": self[keyPath: path] = true
            case let value?: throw InvalidValue(variable: name, value: value)
            }
        }
    }

    /// This process's environment, parsed once.
    private static let parsed = Result { () throws(InvalidValue) in
        try EngineSwitches(environment: ProcessInfo.processInfo.environment)
    }

    /// This process's switches; an invalid value leaves the defaults and is kept in
    /// `processProblem` for the command line to report.
    public static var process: EngineSwitches { (try? parsed.get()) ?? EngineSwitches() }

    /// Why the process environment's switches were not taken, or nil when they were.
    public static var processProblem: InvalidValue? {
        if case .failure(let problem) = parsed { return problem }
        return nil
    }
}
