import Evaluation
import Foundation
import Imaging

/// What the prediction, evaluation and localization runners need from a trained model:
/// class names, decision thresholds, and for a batch of decoded images each image's
/// `Prediction`: the probability of each class and, when asked, each class's CAM heatmap.
///
/// The trained chest model conforms; tests use small synthetic classifiers whose answers they
/// know, so that the runners' bookkeeping (batching, failures, box mapping) is checked apart
/// from any network.
public protocol ChestClassifier: AnyObject {
    /// Class names in output order.
    var classNames: [String] { get }
    /// Per-class decision thresholds on the probabilities, in `classNames` order: a class is
    /// "present" when its probability is at least its threshold.
    var thresholds: [Float] { get }
    /// The most images one `classify` call should be given (memory bound).
    var preferredBatchSize: Int { get }

    /// Classifies `images` (any sizes; the classifier prepares them as its card says).
    ///
    /// - Returns: one `Prediction` per image, in order, with one class per `classNames` at
    ///   `thresholds`; its `heatmaps` hold one map per class (the S×S CAM over the whole
    ///   image) when `heatmaps` is true, and are empty otherwise.
    /// - Throws: whatever the model throws; the runners report it against the batch's files.
    func classify(_ images: [GrayscaleImage], heatmaps: Bool) throws -> [Prediction]
}

extension ChestClassifier {
    /// The prediction of one image's `probabilities` (C) at this classifier's thresholds.
    /// - Throws: `EvaluationError.lengthMismatch` when the counts are not one per class.
    public func prediction(probabilities: [Float], heatmaps: [Heatmap] = []) throws -> Prediction {
        try Prediction(classNames: classNames, thresholds: thresholds, probabilities: probabilities, heatmaps: heatmaps)
    }
}

/// A file that could not be used, and why (the decoder's or model's message, naming the file).
public struct FileFailure: Error, Equatable, Sendable, Codable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    /// The failure of `path` for `error`: an `ImagingError` already names the file, so only its
    /// reason is kept.
    init(path: String, error: Error) {
        if let imaging = error as? ImagingError {
            self.init(path: path, reason: imaging.reason)
        } else {
            self.init(path: path, reason: String(describing: error))
        }
    }
}

extension ChestClassifier {
    /// Decodes the files of `paths` and classifies them in batches of `preferredBatchSize`.
    /// A file that cannot be decoded, or a batch the model rejects, yields a `FileFailure`
    /// for each file concerned; all other files are still classified.
    ///
    /// - Parameters:
    ///   - paths: image files (PNG, JPEG, DICOM, sniffed by content).
    ///   - heatmaps: whether to compute each class's heatmap.
    ///   - body: called once per file in order with the file's index, its decoded image and its
    ///     prediction, or the failure. Called on the caller's thread.
    ///   - progress: (files done, total).
    func classifyFiles(
        _ paths: [String], heatmaps: Bool, progress: ((Int, Int) -> Void)? = nil,
        _ body: (Int, Result<(image: GrayscaleImage, prediction: Prediction), FileFailure>) throws -> Void
    ) throws {
        let batchSize = max(1, preferredBatchSize)
        var start = 0
        while start < paths.count {
            let indices = start..<min(start + batchSize, paths.count)
            var decoded: [(index: Int, image: GrayscaleImage)] = []
            var failures: [Int: FileFailure] = [:]
            for index in indices {
                do {
                    decoded.append((index, try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: paths[index]))))
                } catch {
                    failures[index] = FileFailure(path: paths[index], error: error)
                }
            }
            var results: [Int: Prediction] = [:]
            if !decoded.isEmpty {
                do {
                    let predictions = try classify(decoded.map(\.image), heatmaps: heatmaps)
                    guard predictions.count == decoded.count else {
                        throw EvaluationError.lengthMismatch(what: "predictions of a batch", expected: decoded.count,
                                                             found: predictions.count)
                    }
                    for (entry, prediction) in zip(decoded, predictions) {
                        guard prediction.classes.count == classNames.count else {
                            throw EvaluationError.lengthMismatch(what: "probabilities", expected: classNames.count,
                                                                 found: prediction.classes.count)
                        }
                        results[entry.index] = prediction
                    }
                } catch {
                    for entry in decoded { failures[entry.index] = FileFailure(path: paths[entry.index], error: error) }
                }
            }
            let images = Dictionary(uniqueKeysWithValues: decoded.map { ($0.index, $0.image) })
            for index in indices {
                if let prediction = results[index], let image = images[index] {
                    try body(index, .success((image, prediction)))
                } else {
                    try body(index, .failure(failures[index]!))
                }
            }
            start = indices.upperBound
            progress?(start, paths.count)
        }
    }
}
