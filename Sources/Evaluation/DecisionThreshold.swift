/// Decision thresholds on a class's scores, chosen from labelled images.
public enum DecisionThreshold {
    /// The score threshold maximizing sensitivity + specificity − 1 (labels 1 positive, 0
    /// negative, others ignored); nil without both positives and negatives. The threshold is
    /// the midpoint between the chosen score and the next lower one, so it separates them.
    public static func youden(scores: [Float], labels: [Int]) -> Float? {
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
