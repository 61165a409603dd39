/// Decision thresholds on a class's scores, chosen from labelled images.
public enum DecisionThreshold {
    /// The score threshold maximizing sensitivity + specificity − 1 (labels 1 positive, 0
    /// negative, others ignored); nil without both positives and negatives. The threshold is
    /// the midpoint between the chosen score and the next lower one, so it separates them.
    public static func youden(scores: [Float], labels: [Int]) -> Float? {
        guard let sweep = ThresholdSweep(scores: scores, labels: labels) else { return nil }
        var best: (j: Double, threshold: Float)?
        for point in sweep.points {
            let j = Double(point.truePositives) / Double(sweep.positives) - Double(point.falsePositives) / Double(sweep.negatives)
            if best == nil || j > best!.j { best = (j, point.threshold) }
        }
        return best?.threshold
    }
}

/// Every operating point of "present when the score is at least t" on labelled scores (labels 1
/// positive, 0 negative, others ignored), walking down the distinct scores: tied scores move
/// together, and each point's threshold is the midpoint between its score and the next lower
/// one (0 below the lowest), so that it separates them. The threshold rules choose among these.
struct ThresholdSweep {
    struct Point {
        /// Positives and negatives scored at or above `threshold`.
        var truePositives: Int
        var falsePositives: Int
        var threshold: Float
    }

    let positives: Int
    let negatives: Int
    /// The highest score (a threshold just above it marks nothing).
    let highest: Float
    /// One per distinct score, highest first.
    let points: [Point]

    /// Nil without both positives and negatives.
    init?(scores: [Float], labels: [Int]) {
        let pairs = zip(scores, labels).filter { $0.1 == 0 || $0.1 == 1 }.sorted { $0.0 > $1.0 }
        positives = pairs.filter { $0.1 == 1 }.count
        negatives = pairs.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        highest = pairs[0].0
        var points: [Point] = []
        var truePositives = 0, falsePositives = 0
        var index = 0
        while index < pairs.count {
            let score = pairs[index].0
            while index < pairs.count && pairs[index].0 == score {
                if pairs[index].1 == 1 { truePositives += 1 } else { falsePositives += 1 }
                index += 1
            }
            let next = index < pairs.count ? pairs[index].0 : 0
            points.append(Point(truePositives: truePositives, falsePositives: falsePositives, threshold: (score + next) / 2))
        }
        self.points = points
    }
}
