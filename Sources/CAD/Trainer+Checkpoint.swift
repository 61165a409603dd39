import Foundation
import Models
import NN
import SafeTensors
import Tensor

/// The position and history of a run, saved as checkpoint/state.json beside the weights and
/// optimizer state in checkpoint/state.safetensors.
struct TrainingState: Codable, Equatable {
    var options: TrainingOptions
    /// What the run trains on and the images its two parts gave it (`SavedRun`); nil in
    /// checkpoints saved before they were recorded, which cannot be resumed.
    var source: TrainingSource?
    var trainingImages: TrainingImagesIdentity?
    var validationImages: TrainingImagesIdentity?
    /// Epochs completed (the next epoch's 0-based index).
    var epoch = 0
    /// Batches done in the current epoch.
    var batch = 0
    /// Optimizer steps taken.
    var steps = 0
    /// Training loss summed over the current epoch's batches so far, and their count.
    var lossSum = 0.0
    var lossBatches = 0
    var history: [EpochRecord] = []
    var bestEpoch: Int?
    var bestMeanAUC: Double?
    /// Adam's per-parameter step counts (empty for SGD).
    var adamSteps: [Int] = []
    /// A token written into both files, so a checkpoint whose two files come from different
    /// saves is recognized.
    var token = ""

    init(options: TrainingOptions, source: TrainingSource, trainingImages: TrainingImagesIdentity,
         validationImages: TrainingImagesIdentity) {
        self.options = options
        self.source = source
        self.trainingImages = trainingImages
        self.validationImages = validationImages
    }

    static let stateFile = "state.json"
    static let tensorFile = "state.safetensors"

    /// Reads `directory`/state.json.
    /// - Throws: `TrainingError.resume` naming the file when it is missing or not a training state.
    static func read(directory: URL) throws -> TrainingState {
        let url = directory.appendingPathComponent(stateFile)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError.resume("\(url.path) is missing (no checkpoint to resume from)")
        }
        do {
            return try JSONDecoder().decode(TrainingState.self, from: data)
        } catch {
            throw TrainingError.resume("\(url.path) is not a training state: \(error)")
        }
    }
}

extension Trainer {
    /// Writes checkpoint/state.safetensors (weights, buffers, optimizer moments, float32) and
    /// then checkpoint/state.json, each atomically.
    func saveCheckpoint() throws {
        let directory = outputDirectory.appendingPathComponent(Trainer.checkpointFolder)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var tensors = try Checkpoint.storedTensors(of: model.network)
        let names = model.network.namedParameters().map(\.name)
        if let sgd = optimizer as? SGD {
            for (name, buffer) in zip(names, sgd.momentumBuffers) {
                if let buffer, !buffer.isEmpty {
                    tensors.append(("optimizer.momentum." + name, StoredTensor(shape: [buffer.count], values: buffer)))
                }
            }
            state.adamSteps = []
        } else if let adam = optimizer as? Adam {
            for (index, name) in names.enumerated() where adam.steps[index] > 0 {
                tensors.append(("optimizer.m." + name, StoredTensor(shape: [adam.firstMoments[index].count], values: adam.firstMoments[index])))
                tensors.append(("optimizer.v." + name, StoredTensor(shape: [adam.secondMoments[index].count], values: adam.secondMoments[index])))
            }
            state.adamSteps = adam.steps
        }
        state.token = UUID().uuidString
        try SafeTensorsWriter.write(tensors, to: directory.appendingPathComponent(TrainingState.tensorFile), storage: .float32,
                                    metadata: ["token": state.token])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: directory.appendingPathComponent(TrainingState.stateFile), options: .atomic)
    }

    /// Loads weights, buffers and optimizer state saved by `saveCheckpoint`.
    func restore(from directory: URL) throws {
        let url = directory.appendingPathComponent(TrainingState.tensorFile)
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(contentsOf: url)
        } catch {
            throw TrainingError.resume("\(error)")
        }
        guard file.metadata["token"] == state.token else {
            throw TrainingError.resume("\(url.path) does not belong to \(TrainingState.stateFile) (saved by another save)")
        }
        try Checkpoint.load(into: model.network, from: file) { $0.hasPrefix("optimizer.") }
        let names = model.network.namedParameters().map(\.name)
        if let sgd = optimizer as? SGD {
            sgd.momentumBuffers = try names.map { name in
                file.entry("optimizer.momentum." + name) == nil ? nil : try file.tensor("optimizer.momentum." + name).values
            }
        } else if let adam = optimizer as? Adam {
            guard state.adamSteps.count == names.count else {
                throw TrainingError.resume("the checkpoint holds Adam steps for \(state.adamSteps.count) parameters, the model has \(names.count)")
            }
            adam.steps = state.adamSteps
            for (index, name) in names.enumerated() where state.adamSteps[index] > 0 {
                adam.firstMoments[index] = try file.tensor("optimizer.m." + name).values
                adam.secondMoments[index] = try file.tensor("optimizer.v." + name).values
            }
        }
    }

    /// Saves the model of this epoch as the best one, with a card saying what it was trained on
    /// and what it measured; thresholds per class maximize Youden's J (sensitivity + specificity
    /// − 1) on the validation scores (0.5 where a class's AUC is undefined).
    func saveBestModel(record: EpochRecord, scores: [[Float]], labels: [[Float]]) throws {
        var card = model.card
        card.training = ModelCard.Training(
            database: URL(fileURLWithPath: source.database).lastPathComponent, split: source.split, trainPart: source.trainPart, validationPart: source.validationPart,
            trainImages: training.images.count, validationImages: validation.images.count, initialWeights: options.initialWeights.map {
                URL(fileURLWithPath: $0).lastPathComponent
            }, loss: options.loss, optimizer: options.optimizer, learningRate: options.learningRate, batchSize: options.batchSize,
            gradientAccumulation: options.accumulation, epochs: options.epochs, bestEpoch: record.epoch, seed: options.seed,
            dropConnect: options.dropConnect.flatMap { $0 > 0 ? $0 : nil })
        card.metrics = ModelCard.Metrics(evaluatedOn: "\(source.split):\(source.validationPart) (\(validation.images.count) images, epoch \(record.epoch))",
                                         auc: record.validationAUC, meanAUC: record.meanAUC)
        card.thresholds = (0 ..< card.classes.count).map { c in
            Trainer.youdenThreshold(scores: scores.map { $0[c] }, labels: labels.map { Int($0[c]) }) ?? 0.5
        }
        card.notes = options.notes
        model.card = card
        try model.save(directory: outputDirectory.appendingPathComponent(Trainer.modelFolder),
                       storage: options.modelStorage == "f16" ? .float16 : .float32)
    }

    /// The score threshold maximizing sensitivity + specificity − 1 (labels 1 positive, 0
    /// negative, others ignored); nil without both positives and negatives. The threshold is
    /// the midpoint between the chosen score and the next lower one, so it separates them.
    static func youdenThreshold(scores: [Float], labels: [Int]) -> Float? {
        let pairs = zip(scores, labels).filter { $0.1 == 0 || $0.1 == 1 }.sorted { $0.0 > $1.0 }
        let positives = pairs.filter { $0.1 == 1 }.count, negatives = pairs.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        var truePositives = 0, falsePositives = 0
        var best: (j: Double, threshold: Float)?
        var index = 0
        while index < pairs.count {
            let score = pairs[index].0
            while index < pairs.count && pairs[index].0 == score {
                if pairs[index].1 == 1 { truePositives += 1 } else { falsePositives += 1 }
                index += 1
            }
            let j = Double(truePositives) / Double(positives) - Double(falsePositives) / Double(negatives)
            let next = index < pairs.count ? pairs[index].0 : 0
            if best == nil || j > best!.j { best = (j, (score + next) / 2) }
        }
        return best?.threshold
    }
}
