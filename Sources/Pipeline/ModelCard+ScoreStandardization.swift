import Foundation

extension ModelCard {
    /// One network's logit statistics on the films it was trained on (evaluation mode, no
    /// augmentation). Networks trained on different films — the fold models of a
    /// cross-validated run, the members of an ensemble, the model on every film — each drift
    /// to their own offset and spread per class; scoring each as (logit − mean) / standard
    /// deviation puts them on one scale, so that their pooled out-of-fold predictions rank as
    /// well as each fold does alone and thresholds chosen on them carry over to the final model.
    public struct ScoreStandardization: Codable, Equatable, Sendable {
        /// How many films the statistics come from.
        public var films: Int
        /// Per class, in the card's class order.
        public var mean: [Float]
        public var standardDeviation: [Float]

        public init(films: Int, mean: [Float], standardDeviation: [Float]) {
            self.films = films
            self.mean = mean
            self.standardDeviation = standardDeviation
        }

        /// The statistics of `logits` (films × classes): per class the mean and the population
        /// standard deviation, computed in double precision. A class whose logits are all equal
        /// keeps a standard deviation of 1 (there is no spread to scale by).
        /// - Throws: `ChestModelError.badInput` for no films, rows of unequal length, or a
        ///   logit that is not finite.
        public init(logits: [[Float]]) throws {
            guard let classCount = logits.first?.count, classCount > 0 else {
                throw ChestModelError.badInput("score standardization needs the logits of at least one film")
            }
            var sum = [Double](repeating: 0, count: classCount)
            for (index, row) in logits.enumerated() {
                guard row.count == classCount else {
                    throw ChestModelError.badInput("film \(index + 1) has \(row.count) logits, expected \(classCount)")
                }
                for c in 0 ..< classCount {
                    guard row[c].isFinite else { throw ChestModelError.badInput("film \(index + 1) has a non-finite logit for class \(c + 1)") }
                    sum[c] += Double(row[c])
                }
            }
            let count = Double(logits.count)
            let mean = sum.map { $0 / count }
            var squares = [Double](repeating: 0, count: classCount)
            for row in logits {
                for c in 0 ..< classCount { squares[c] += (Double(row[c]) - mean[c]) * (Double(row[c]) - mean[c]) }
            }
            let deviation = squares.map { ($0 / count).squareRoot() }
            self.init(films: logits.count, mean: mean.map { Float($0) },
                      standardDeviation: deviation.map { $0 > 0 ? Float($0) : 1 })
        }

        /// (logit − mean) / standard deviation of class `c`.
        @inline(__always)
        public func score(_ logit: Float, classIndex c: Int) -> Float {
            (logit - mean[c]) / standardDeviation[c]
        }
    }
}
