import ArgumentParser
import Models
import Training

// The training choices as command-line values: parsed here, once, by ArgumentParser, which
// also lists the valid values in the help and in its error for any other value.
extension HeadPooling: ExpressibleByArgument {}
extension LossFunction: ExpressibleByArgument {}
extension OptimizerAlgorithm: ExpressibleByArgument {}
extension ScheduleKind: ExpressibleByArgument {}
extension WeightFormat: ExpressibleByArgument {}

extension OutputStride: ExpressibleByArgument {
    /// 16 or 32.
    public init?(argument: String) {
        guard let value = Int(argument), let stride = OutputStride(rawValue: value) else { return nil }
        self = stride
    }
}

extension Architecture: ExpressibleByArgument {
    /// Any capitalization of a name (`ResNet50`), as `Architecture(name:)` reads it.
    public init?(argument: String) {
        guard let architecture = try? Architecture(name: argument) else { return nil }
        self = architecture
    }
}

extension BatchNormMode {
    /// The choice in words, as `thorax train` prints it.
    var words: String {
        switch self {
        case .batch: return "per rank (each rank's share's statistics)"
        case .synchronized: return "synchronized over the ranks"
        case .frozen: return "frozen (running statistics)"
        }
    }

    /// The flag that chooses it; none for the default.
    var flag: String {
        switch self {
        case .batch: return "neither --sync-batchnorm nor --freeze-batchnorm"
        case .synchronized: return "--sync-batchnorm"
        case .frozen: return "--freeze-batchnorm"
        }
    }
}

extension TrainingOption {
    /// The `thorax train` option that sets it; the setting's name in words where the command
    /// has no option for it.
    var flag: String {
        switch self {
        case .batchNorm: return "--sync-batchnorm or --freeze-batchnorm"
        case .architecture: return "--arch"
        case .inputSize: return "--size"
        case .augment: return "--augmentation"
        case .modelStorage: return "--model-format"
        case .momentum, .patience, .cacheImages: return words
        default:
            // camelCase → --kebab-case: "batchSize" → "--batch-size", "lseR" → "--lse-r".
            return "--" + rawValue.reduce(into: "") { text, character in
                if character.isUppercase { text += "-" + character.lowercased() } else { text.append(character) }
            }
        }
    }

    /// A value as the command line writes it: `--batch-size 8`; the flag for augmentation and
    /// batch norm.
    func commandLine(_ value: String) -> String {
        if self == .batchNorm { return BatchNormMode(rawValue: value)?.flag ?? value }
        guard self == .augment else { return "\(flag) \(value)" }
        return value == "true" ? "--augmentation" : "--no-augmentation"
    }
}

/// A training error in the words of `thorax train`: settings named by their options.
struct TrainCommandError: Error, CustomStringConvertible {
    let description: String

    init(_ error: TrainingError) {
        switch error {
        case let .invalidOption(option, message):
            description = "\(option.flag) \(message)"
        case let .tooFewEpochs(requested, completed):
            description = "cannot resume: --epochs \(requested) is fewer than the \(completed) epochs the run has completed"
        case let .tooFewIterations(requested, taken):
            description = "cannot resume: --iterations \(requested) is fewer than the \(taken) optimizer steps the run has taken"
        case let .unresumableCheckpoint(file):
            description = "cannot resume: \(file) was saved by an earlier thorax that did not record the run's database, split and labels; train a new run in another --output"
        case let .resumeConflict(conflict):
            let recorded = [.augment, .batchNorm].contains(conflict.option) ? conflict.option.commandLine(conflict.recorded) : conflict.recorded
            description = "\(conflict.option.commandLine(conflict.given)) conflicts with the run being resumed (\(recorded)); "
                + "leave it out to continue that run, or train a new one in another --output"
        default:
            description = error.description
        }
    }
}
