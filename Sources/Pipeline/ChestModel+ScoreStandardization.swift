import Foundation
import Imaging
import Tensor

extension ChestModel {
    /// Each network's raw logits for a batch of prepared images (N, channels, size, size), in
    /// evaluation mode: one (N·C) row-major array per member.
    /// - Throws: `ChestModelError.badInput` when the count does not match the card's input shape.
    public func memberLogits(images: [Float], count: Int) throws -> [[Float]] {
        let size = card.preprocessing.inputSize, channels = card.preprocessing.channels
        guard count > 0, images.count == count * channels * size * size else {
            throw ChestModelError.badInput("expected \(count) images of \(channels)×\(size)×\(size) values (\(count * channels * size * size)), got \(images.count) values")
        }
        let input = try Tensor(shape: [count, channels, size, size], values: images)
        return try members.map { member in
            member.setTraining(false)
            return try member.forward(input).toArray()
        }
    }

    /// Sets the card's `scoreStandardization` to the statistics of this network's logits on
    /// `paths` — the films it was trained on, decoded and prepared as for prediction.
    /// - Parameter progress: (films done, total).
    /// - Throws: `ChestModelError.invalidCard` for an ensemble (each member is standardized as
    ///   its own model before they are joined); `ChestModelError.badInput` for no files; the
    ///   decoder's error naming a file that cannot be read.
    public func standardizeScores(onFiles paths: [String], progress: ((Int, Int) -> Void)? = nil) throws {
        guard members.count == 1 else {
            throw ChestModelError.invalidCard("an ensemble is standardized member by member, before the members are joined")
        }
        guard !paths.isEmpty else { throw ChestModelError.badInput("score standardization needs at least one film") }
        let classCount = card.classes.count
        var rows: [[Float]] = []
        rows.reserveCapacity(paths.count)
        var start = 0
        while start < paths.count {
            let batch = paths[start ..< min(start + preferredBatchSize, paths.count)]
            let images = try batch.map { try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: $0)) }
            let logits = try memberLogits(images: Self.prepare(images, for: card), count: images.count)[0]
            for n in 0 ..< images.count { rows.append(Array(logits[n * classCount ..< (n + 1) * classCount])) }
            start = batch.endIndex
            progress?(start, paths.count)
        }
        card.scoreStandardization = [try ModelCard.ScoreStandardization(logits: rows)]
    }
}
