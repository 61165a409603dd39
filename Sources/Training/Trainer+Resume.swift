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

/// A setting of a resumed run that differs from the record of the run being resumed.
public struct ResumeConflict: Equatable, Sendable {
    public var option: TrainingOption
    /// The value given (`8`, `false`) and the run's (`16`, `true`), as `TrainingSetting` writes them.
    public var given: String
    public var recorded: String
    public init(option: TrainingOption, given: String, recorded: String) {
        self.option = option
        self.given = given
        self.recorded = recorded
    }
}

/// One setting with its value in a run.
public struct TrainingSetting: Equatable, Sendable {
    public var option: TrainingOption
    /// The value as text (`16`, `lse`, `true`); `none` for an absent one.
    public var value: String
}

extension TrainingOptions {
    /// Every option with its value, in `thorax train --help` order; drop connect nil and 0
    /// are both `0` (off), batch norm nil and `batch` both `batch`, output stride nil and 32 both `32`.
    public var settings: [TrainingSetting] {
        func setting(_ option: TrainingOption, _ value: Any?) -> TrainingSetting {
            TrainingSetting(option: option, value: value.map { "\($0)" } ?? "none")
        }
        return [
            setting(.architecture, architecture.rawValue),
            setting(.outputStride, (outputStride ?? .thirtyTwo).rawValue),
            setting(.initialWeights, initialWeights),
            setting(.transitionChannels, transitionChannels),
            setting(.pooling, pooling.rawValue),
            setting(.lseR, lseR),
            setting(.loss, loss.rawValue),
            setting(.inputSize, inputSize),
            setting(.batchSize, batchSize),
            setting(.accumulation, accumulation),
            setting(.batchNorm, (batchNorm ?? .batch).rawValue),
            setting(.optimizer, optimizer.rawValue),
            setting(.learningRate, learningRate),
            setting(.momentum, momentum),
            setting(.weightDecay, weightDecay),
            setting(.schedule, schedule.rawValue),
            setting(.stepEpochs, stepEpochs),
            setting(.gamma, gamma),
            setting(.patience, patience),
            setting(.epochs, epochs),
            setting(.iterations, iterations),
            setting(.seed, seed),
            setting(.augment, augment),
            setting(.dropConnect, dropConnect ?? 0),
            setting(.cacheImages, cacheImages),
            setting(.modelStorage, modelStorage.rawValue),
            setting(.notes, notes),
        ]
    }

    /// The options a resumed run may change: the number of epochs (the new total) and of
    /// iterations (the new limit of optimizer steps), and the notes (the card's text, which
    /// changes no weight). Every other option is the run's.
    public static let changeableOnResume: Set<TrainingOption> = [.epochs, .iterations, .notes]

    /// The first option, in `settings` order and other than `changeableOnResume`, whose value
    /// differs from `recorded`'s; nil when none does.
    public func resumeConflict(with recorded: TrainingOptions) -> ResumeConflict? {
        for (mine, theirs) in zip(settings, recorded.settings)
        where !Self.changeableOnResume.contains(mine.option) && mine.value != theirs.value {
            return ResumeConflict(option: mine.option, given: mine.value, recorded: theirs.value)
        }
        return nil
    }
}

extension TrainingSource {
    /// The first of split, parts and label source that differs from `recorded`'s; nil when
    /// none does. The database path may differ (a moved or copied database): its images are
    /// checked instead, by `TrainingImagesIdentity`.
    public func resumeConflict(with recorded: TrainingSource) -> ResumeConflict? {
        for (option, mine, theirs) in [(TrainingOption.split, split, recorded.split), (.trainPart, trainPart, recorded.trainPart),
                                       (.validationPart, validationPart, recorded.validationPart),
                                       (.labels, labels, recorded.labels)] where mine != theirs {
            return ResumeConflict(option: option, given: mine, recorded: theirs)
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
            throw TrainingError.unresumableCheckpoint(file: file.path)
        }
        options = state.options
        self.source = source
        self.trainingImages = trainingImages
        self.validationImages = validationImages
        completedEpochs = state.epoch
        steps = state.steps
    }

    /// Checks that `options` and `source` continue this run: equal options except the epochs
    /// and iterations, which must not fall below the epochs completed and the steps taken; the
    /// same split, parts and label source.
    /// - Throws: `TrainingError.resumeConflict` naming the first option that differs and both
    ///   values; `TrainingError.tooFewEpochs` / `.tooFewIterations`.
    public func check(options: TrainingOptions, source: TrainingSource) throws {
        if let conflict = options.resumeConflict(with: self.options) ?? source.resumeConflict(with: self.source) {
            throw TrainingError.resumeConflict(conflict)
        }
        // A field missing from `settings` would slip through the comparison above.
        var same = options
        same.epochs = self.options.epochs
        same.iterations = self.options.iterations
        same.notes = self.options.notes
        if same.dropConnect == 0 { same.dropConnect = nil }
        if same.batchNorm == .batch { same.batchNorm = nil }
        if same.outputStride == .thirtyTwo { same.outputStride = nil }
        var recorded = self.options
        if recorded.dropConnect == 0 { recorded.dropConnect = nil }
        if recorded.batchNorm == .batch { recorded.batchNorm = nil }
        if recorded.outputStride == .thirtyTwo { recorded.outputStride = nil }
        guard same == recorded else { throw TrainingError.resume("the options differ from the run's") }
        guard options.epochs >= completedEpochs else {
            throw TrainingError.tooFewEpochs(requested: options.epochs, completed: completedEpochs)
        }
        if let iterations = options.iterations, iterations < steps {
            throw TrainingError.tooFewIterations(requested: iterations, taken: steps)
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
