import Random
import Foundation

/// How a bootstrap confidence interval is drawn.
public struct BootstrapOptions: Equatable, Sendable, Codable {
    /// Number of resamples. 1,000 by default: enough for a stable 95% percentile interval
    /// (Efron & Tibshirani recommend at least 1,000 for percentile intervals).
    public var resamples: Int
    /// Coverage of the interval, e.g. 0.95 for the 2.5th to the 97.5th percentile.
    public var confidence: Double
    /// Seed of the resampling generator; equal seeds give equal intervals.
    public var seed: UInt64

    public init(resamples: Int = 1000, confidence: Double = 0.95, seed: UInt64 = 0) {
        self.resamples = resamples
        self.confidence = confidence
        self.seed = seed
    }
}

/// A percentile bootstrap interval of one statistic.
public struct BootstrapInterval: Equatable, Sendable, Codable {
    /// The lower and upper percentiles of the resampled statistic.
    public var lower: Double
    public var upper: Double
    /// Coverage, e.g. 0.95.
    public var confidence: Double
    /// Resamples in which the statistic was defined (a resample that happens to draw no positive
    /// image of a rare class has no AUC and is left out of that class's interval).
    public var definedResamples: Int
}

/// Percentile bootstrap intervals of per-class ROC AUC, resampling images.
///
/// Each resample draws N images with replacement from the N evaluated images — the same draw for
/// every class, so the classes' intervals (and the mean's) come from the same resampled test
/// sets. An image drawn k times counts k times. The interval is the (1−confidence)/2 and
/// (1+confidence)/2 percentiles of the resampled AUCs with linear interpolation between order
/// statistics (numpy's default `percentile`).
///
/// Speed: the scores of each class are sorted once; a resample is then a vector of draw counts
/// and its AUC is one pass over the sorted order (`weightedAUC`), so the cost is
/// O(resamples × classes × N) rather than sorting in every resample.
public enum Bootstrap {
    /// Per-class and mean-AUC intervals.
    public struct Result: Equatable, Sendable {
        /// One per class, in input order; nil where the class's AUC is undefined on the full data
        /// or defined in fewer than two resamples.
        public var classIntervals: [BootstrapInterval?]
        /// The interval of the mean AUC over the classes whose AUC is defined on the full data;
        /// a resample counts only when all those classes are defined in it. Nil when no class is
        /// defined or fewer than two resamples count.
        public var meanInterval: BootstrapInterval?
    }

    /// Computes percentile bootstrap intervals of each class's AUC and of their mean.
    ///
    /// - Parameters:
    ///   - scores: (C) classes, each (N) scores, one per image; all classes cover the same images
    ///     in the same order.
    ///   - labels: (C) classes, each (N) labels.
    ///   - options: resamples, confidence and seed.
    ///   - progress: called with (resamples done, resamples in total) after each resample.
    /// - Throws: `EvaluationError.invalidParameter` when resamples < 1 or confidence is not in (0, 1);
    ///   `EvaluationError.lengthMismatch` / `.nonFiniteScore` for bad inputs.
    public static func aucIntervals(
        scores: [[Double]], labels: [[Bool]], options: BootstrapOptions = BootstrapOptions(),
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> Result {
        guard options.resamples >= 1 else {
            throw EvaluationError.invalidParameter("bootstrap resamples must be at least 1, got \(options.resamples)")
        }
        guard options.confidence > 0, options.confidence < 1 else {
            throw EvaluationError.invalidParameter("bootstrap confidence must be in (0, 1), got \(options.confidence)")
        }
        guard scores.count == labels.count else {
            throw EvaluationError.lengthMismatch(what: "label classes", expected: scores.count, found: labels.count)
        }
        let imageCount = scores.first?.count ?? 0
        var sortedClasses: [SortedScores] = []
        var definedOnFullData: [Bool] = []
        for (classIndex, classScores) in scores.enumerated() {
            guard classScores.count == imageCount else {
                throw EvaluationError.lengthMismatch(what: "scores of class \(classIndex)", expected: imageCount, found: classScores.count)
            }
            let reason = try ROCCurve.undefinedReason(scores: classScores, labels: labels[classIndex])
            definedOnFullData.append(reason == nil)
            sortedClasses.append(SortedScores(scores: classScores, labels: labels[classIndex]))
        }

        let definedCount = definedOnFullData.filter { $0 }.count
        var generator = SplitMix64(seed: options.seed)
        var counts = [Int](repeating: 0, count: imageCount)
        var classSamples = [[Double]](repeating: [], count: scores.count)
        var meanSamples: [Double] = []
        for resample in 0..<options.resamples {
            for i in counts.indices { counts[i] = 0 }
            for _ in 0..<imageCount { counts[generator.below(imageCount)] += 1 }
            var sum = 0.0
            var allDefined = true
            for classIndex in sortedClasses.indices where definedOnFullData[classIndex] {
                if let auc = sortedClasses[classIndex].weightedAUC(weights: counts) {
                    classSamples[classIndex].append(auc)
                    sum += auc
                } else {
                    allDefined = false
                }
            }
            if allDefined && definedCount > 0 { meanSamples.append(sum / Double(definedCount)) }
            progress?(resample + 1, options.resamples)
        }
        return Result(
            classIntervals: classSamples.map { interval(of: $0, confidence: options.confidence) },
            meanInterval: interval(of: meanSamples, confidence: options.confidence))
    }

    /// The percentile interval of `samples`, or nil with fewer than two samples.
    static func interval(of samples: [Double], confidence: Double) -> BootstrapInterval? {
        guard samples.count >= 2 else { return nil }
        let sorted = samples.sorted()
        return BootstrapInterval(
            lower: percentile(sorted: sorted, fraction: (1 - confidence) / 2),
            upper: percentile(sorted: sorted, fraction: (1 + confidence) / 2),
            confidence: confidence, definedResamples: samples.count)
    }

    /// The `fraction` quantile (0...1) of ascending `sorted` values, interpolating linearly
    /// between order statistics at position fraction·(n − 1) — numpy's default method.
    ///
    /// - Precondition: `sorted` is non-empty and ascending.
    public static func percentile(sorted: [Double], fraction: Double) -> Double {
        let position = fraction * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let weight = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * weight
    }
}

/// One class's scores sorted once, so that each bootstrap resample's AUC is a linear pass.
struct SortedScores {
    /// Image indices by decreasing score.
    let order: [Int]
    /// For each position in `order`, whether the next position has a different score (the end of
    /// a group of tied scores).
    let endsGroup: [Bool]
    let labels: [Bool]

    init(scores: [Double], labels: [Bool]) {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        self.order = order
        endsGroup = order.indices.map { rank in
            rank == order.count - 1 || scores[order[rank + 1]] != scores[order[rank]]
        }
        self.labels = labels
    }

    /// The ROC AUC when image i is counted `weights[i]` times, or nil when the weighted set has
    /// no positive or no negative.
    ///
    /// Computed as the Mann–Whitney statistic with ties counted one half: walking down the
    /// scores, each group of tied scores adds (its negatives) × (positives above it + half its
    /// positives). This equals the trapezoid area of the ROC curve, and is an independent
    /// formulation from `ROCCurve.area` that tests compare against it.
    func weightedAUC(weights: [Int]) -> Double? {
        var positivesAbove = 0.0
        var groupPositives = 0.0
        var groupNegatives = 0.0
        var pairs = 0.0
        var totalNegatives = 0.0
        for rank in order.indices {
            let index = order[rank]
            let weight = Double(weights[index])
            if labels[index] { groupPositives += weight } else { groupNegatives += weight }
            if endsGroup[rank] {
                pairs += groupNegatives * (positivesAbove + groupPositives / 2)
                positivesAbove += groupPositives
                totalNegatives += groupNegatives
                groupPositives = 0
                groupNegatives = 0
            }
        }
        guard positivesAbove > 0, totalNegatives > 0 else { return nil }
        return pairs / (positivesAbove * totalNegatives)
    }
}
