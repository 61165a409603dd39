import Foundation

/// What a run trains on: the database, the split, its training and validation parts and the
/// label source. Saved with the checkpoint (a resumed run takes the run's); the model card gets
/// the database's file name.
public struct TrainingSource: Codable, Equatable, Sendable {
    /// The database's path as given (relative paths to the directory the run was started in).
    public var database: String
    public var split: String
    public var trainPart: String
    public var validationPart: String
    /// Label source: nih, labeller, human or model:ID (`ThoraxDatabase.labelledImages`).
    public var labels: String
    public init(database: String, split: String, trainPart: String, validationPart: String, labels: String = "nih") {
        self.database = database
        self.split = split
        self.trainPart = trainPart
        self.validationPart = validationPart
        self.labels = labels
    }
}

/// Progress of a run, reported after every batch and during validation.
public struct TrainingProgress: Sendable {
    public enum Phase: String, Sendable { case training, validation }
    public var phase: Phase
    /// 1-based epoch and the number of epochs.
    public var epoch: Int
    public var epochs: Int
    /// Batches done in this epoch's phase and their count.
    public var batch: Int
    public var batches: Int
    /// Mean training loss of the epoch so far.
    public var loss: Double
    public var imagesPerSecond: Double
    /// Estimated seconds until the run ends (nil until measured).
    public var remainingSeconds: Double?
}

/// What an epoch ended with: what the callback that writes a run's outputs (the best model,
/// the metrics files) reads.
public struct EpochOutcome: Sendable {
    public var record: EpochRecord
    /// Every epoch's record so far (a resumed run's earlier ones included), this one last.
    public var history: [EpochRecord]
    /// Whether this epoch has the best validation mean AUC so far: the model to keep.
    public var isBest: Bool
    public var bestEpoch: Int?
    /// (N, C) validation probabilities, one row per validation image in loader order.
    public var validationScores: [[Float]]
    /// (N, C) validation labels: 1, 0, or −1 (uncertain or unknown).
    public var validationLabels: [[Float]]
}
