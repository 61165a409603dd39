import Foundation

/// What one epoch of training measured.
public struct EpochRecord: Codable, Equatable, Sendable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Optimizer steps taken so far (all epochs).
    public var steps: Int
    public var learningRate: Double
    /// Mean training loss over the epoch's batches.
    public var trainLoss: Double
    /// Mean validation loss (same loss function, no augmentation).
    public var validationLoss: Double
    /// AUC per class on the validation part; nil where undefined (no positives or negatives).
    public var validationAUC: [Double?]
    /// Mean of the defined AUCs.
    public var meanAUC: Double?
    /// Training images per second (forward, loss, backward, update, waiting for the loader;
    /// the run's first batch, which builds the primitives, excluded).
    public var imagesPerSecond: Double
    /// Wall-clock seconds of the epoch, validation included.
    public var seconds: Double
    /// Seconds of the timed training batches spent waiting for the loader's next batch: near 0
    /// when decoding keeps up with the engine. Absent in records written before it was measured.
    public var loaderWaitSeconds: Double?
}

/// The per-epoch metrics as the files a run writes: metrics.csv and metrics.json.
public enum TrainingMetrics {
    /// metrics.csv: one row per epoch; per-class AUC columns named after the classes; an
    /// undefined AUC is an empty field.
    public static func csv(_ records: [EpochRecord], classes: [String]) -> String {
        var lines = [(["epoch", "steps", "learning_rate", "train_loss", "validation_loss", "mean_auc", "images_per_second", "seconds",
                      "loader_wait_seconds"]
            + classes.map { "auc_\($0)" }).joined(separator: ",")]
        for r in records {
            let fields = [String(r.epoch), String(r.steps), format(r.learningRate), format(r.trainLoss), format(r.validationLoss),
                          r.meanAUC.map(format) ?? "", String(format: "%.2f", r.imagesPerSecond), String(format: "%.1f", r.seconds),
                          r.loaderWaitSeconds.map { String(format: "%.2f", $0) } ?? ""]
                + r.validationAUC.map { $0.map(format) ?? "" }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ value: Double) -> String { String(format: "%.6g", value) }

    /// metrics.json: {"classes": [...], "epochs": [EpochRecord...], "best_epoch": n}.
    public static func json(_ records: [EpochRecord], classes: [String], bestEpoch: Int?) throws -> Data {
        struct File: Encodable {
            var classes: [String]
            var bestEpoch: Int?
            var epochs: [EpochRecord]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(File(classes: classes, bestEpoch: bestEpoch, epochs: records))
    }
}
