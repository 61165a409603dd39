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
        let directory = checkpointDirectory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var tensors = try Checkpoint.storedTensors(of: network)
        let names = network.namedParameters().map(\.name)
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
    func restore() throws {
        let url = checkpointDirectory.appendingPathComponent(TrainingState.tensorFile)
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(contentsOf: url)
        } catch {
            throw TrainingError.resume("\(error)")
        }
        guard file.metadata["token"] == state.token else {
            throw TrainingError.resume("\(url.path) does not belong to \(TrainingState.stateFile) (saved by another save)")
        }
        try Checkpoint.load(into: network, from: file) { $0.hasPrefix("optimizer.") }
        let names = network.namedParameters().map(\.name)
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
}
