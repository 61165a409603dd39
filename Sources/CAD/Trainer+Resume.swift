import Foundation
import Store

/// The images one part of the database gave a run, identified cheaply: how many the loader
/// kept (those with a file on disk) and a SHA-256 of their names and labels in loader order.
/// A resumed run must be given the same, or its data order and batches per epoch would not
/// continue the saved ones. Neither the database nor the image files are hashed.
public struct TrainingImagesIdentity: Codable, Equatable, Sendable {
    public var images: Int
    /// SHA-256 of one line per image, `name<TAB>label,label,…` (labels as -1, 0 or 1).
    public var sha256: String

    public init(_ images: [LabelledImage]) {
        var text = ""
        text.reserveCapacity(images.count * 48)
        for image in images {
            text += image.name
            text += "\t"
            text += image.labels.map { String(Int($0)) }.joined(separator: ",")
            text += "\n"
        }
        self.images = images.count
        sha256 = contentHash(of: Data(text.utf8))
    }
}

/// An option of a resumed run that differs from the record of the run being resumed.
public struct ResumeConflict: Equatable, Sendable {
    /// The option as given (`--batch-size 8`, `--no-augmentation`).
    public var given: String
    /// The run's value (`16`, `--augmentation`).
    public var recorded: String
    public init(given: String, recorded: String) {
        self.given = given
        self.recorded = recorded
    }
}

/// One option as `thorax train` spells it, with its value in a run.
public struct TrainingSetting: Equatable, Sendable {
    /// The command-line option (`--batch-size`), or the option's name where the command has
    /// no flag for it (`momentum`).
    public var option: String
    /// The value as the command line writes it (`16`, `none`); for a flag, the flag itself.
    public var value: String
    public var isFlag = false

    /// How the command line writes it: `--batch-size 16`, `--no-augmentation`.
    public var commandLine: String { isFlag ? value : "\(option) \(value)" }
}

extension TrainingOptions {
    /// Every option with its value, in `thorax train --help` order; drop connect nil and 0
    /// are both `0` (off).
    public var settings: [TrainingSetting] {
        func setting(_ option: String, _ value: Any?) -> TrainingSetting {
            TrainingSetting(option: option, value: value.map { "\($0)" } ?? "none")
        }
        return [
            setting("--arch", architecture),
            setting("--initial-weights", initialWeights),
            setting("--transition-channels", transitionChannels),
            setting("--pooling", pooling),
            setting("--lse-r", lseR),
            setting("--loss", loss),
            setting("--size", inputSize),
            setting("--batch-size", batchSize),
            setting("--accumulation", accumulation),
            setting("--optimizer", optimizer),
            setting("--learning-rate", learningRate),
            setting("momentum", momentum),
            setting("--weight-decay", weightDecay),
            setting("--schedule", schedule),
            setting("--step-epochs", stepEpochs),
            setting("--gamma", gamma),
            setting("patience", patience),
            setting("--epochs", epochs),
            setting("--iterations", iterations),
            setting("--seed", seed),
            TrainingSetting(option: "--augmentation", value: augment ? "--augmentation" : "--no-augmentation", isFlag: true),
            setting("--drop-connect", dropConnect ?? 0),
            setting("cache images", cacheImages),
            setting("--model-format", modelStorage),
            setting("--notes", notes),
        ]
    }

    /// The options a resumed run may change: `--epochs` (the new total) and `--iterations`
    /// (the new limit of optimizer steps). Every other option is the run's.
    public static let changeableOnResume: Set<String> = ["--epochs", "--iterations"]

    /// The first option, in `settings` order and other than `changeableOnResume`, whose value
    /// differs from `recorded`'s; nil when none does.
    public func resumeConflict(with recorded: TrainingOptions) -> ResumeConflict? {
        for (mine, theirs) in zip(settings, recorded.settings)
        where !Self.changeableOnResume.contains(mine.option) && mine.value != theirs.value {
            return ResumeConflict(given: mine.commandLine, recorded: theirs.value)
        }
        return nil
    }
}

extension TrainingSource {
    /// The first of split, parts and label source that differs from `recorded`'s; nil when
    /// none does. The database path may differ (a moved or copied database): its images are
    /// checked instead, by `TrainingImagesIdentity`.
    public func resumeConflict(with recorded: TrainingSource) -> ResumeConflict? {
        for (option, mine, theirs) in [("--split", split, recorded.split), ("--train-part", trainPart, recorded.trainPart),
                                       ("--validation-part", validationPart, recorded.validationPart),
                                       ("--labels", labels, recorded.labels)] where mine != theirs {
            return ResumeConflict(given: "\(option) \(mine)", recorded: theirs)
        }
        return nil
    }
}

/// The run saved in an output directory's checkpoint: what it trains on, its options and how
/// far it got. `thorax train --resume` starts from it.
public struct SavedRun: Sendable {
    public var options: TrainingOptions
    public var source: TrainingSource
    /// The images of the training and validation parts the run was given.
    public var trainingImages: TrainingImagesIdentity
    public var validationImages: TrainingImagesIdentity
    /// Epochs completed and optimizer steps taken.
    public var completedEpochs: Int
    public var steps: Int

    /// Reads `output`/checkpoint/state.json.
    /// - Throws: `TrainingError.resume` when there is no checkpoint, it is not a training
    ///   state, or it was saved by a thorax that did not record the run's database, split
    ///   and labels (such a run cannot be resumed).
    public init(output: URL) throws {
        let directory = output.appendingPathComponent(Trainer.checkpointFolder)
        try self.init(state: TrainingState.read(directory: directory), file: directory.appendingPathComponent(TrainingState.stateFile))
    }

    init(state: TrainingState, file: URL) throws {
        guard let source = state.source, let trainingImages = state.trainingImages, let validationImages = state.validationImages else {
            throw TrainingError.resume("\(file.path) was saved by an earlier thorax that did not record the run's database, split and labels; train a new run in another --output")
        }
        options = state.options
        self.source = source
        self.trainingImages = trainingImages
        self.validationImages = validationImages
        completedEpochs = state.epoch
        steps = state.steps
    }

    /// Checks that `options` and `source` continue this run: equal options except
    /// `--epochs` and `--iterations`, which must not fall below the epochs completed and the
    /// steps taken; the same split, parts and label source.
    /// - Throws: `TrainingError.resumeConflict` naming the first option that differs and both
    ///   values; `TrainingError.resume` for too few epochs or iterations.
    public func check(options: TrainingOptions, source: TrainingSource) throws {
        if let conflict = options.resumeConflict(with: self.options) ?? source.resumeConflict(with: self.source) {
            throw TrainingError.resumeConflict(conflict)
        }
        // A field missing from `settings` would slip through the comparison above.
        var same = options
        same.epochs = self.options.epochs
        same.iterations = self.options.iterations
        if same.dropConnect == 0 { same.dropConnect = nil }
        var recorded = self.options
        if recorded.dropConnect == 0 { recorded.dropConnect = nil }
        guard same == recorded else { throw TrainingError.resume("the options differ from the run's") }
        guard options.epochs >= completedEpochs else {
            throw TrainingError.resume("--epochs \(options.epochs) is fewer than the \(completedEpochs) epochs the run has completed")
        }
        if let iterations = options.iterations, iterations < steps {
            throw TrainingError.resume("--iterations \(iterations) is fewer than the \(steps) optimizer steps the run has taken")
        }
    }

    /// Checks that the loaders were given the images the run was: `part` names the part in
    /// messages (`training`, `validation`).
    /// - Throws: `TrainingError.resume` saying which part changed and its image counts.
    func checkImages(training: [LabelledImage], validation: [LabelledImage]) throws {
        for (part, name, images, recorded) in [("training", source.trainPart, training, trainingImages),
                                               ("validation", source.validationPart, validation, validationImages)] {
            let identity = TrainingImagesIdentity(images)
            guard identity != recorded else { continue }
            let change = identity.images == recorded.images
                ? "the same number of images (\(identity.images)) with other names or labels"
                : "\(identity.images) images with a file on disk, the run was given \(recorded.images)"
            throw TrainingError.resume("the \(part) part \(source.split):\(name) gives \(change); resume with the database and images the run was trained on")
        }
    }
}
