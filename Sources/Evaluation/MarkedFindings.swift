/// The card's sanity figure for a set of thresholds: how many findings they mark present, on
/// average, on films labelled No Finding and on films with at least one finding. A rule that
/// marks several findings on normal films is one a reader cannot trust.
public struct MarkedFindings: Codable, Equatable, Sendable {
    /// Films whose every class is labelled 0 (No Finding), and the mean count marked on them;
    /// nil when there is no such film.
    public var noFindingFilms: Int
    public var meanOnNoFinding: Double?
    /// Films with at least one class labelled 1, and the mean count marked on them.
    public var filmsWithFindings: Int
    public var meanOnFilmsWithFindings: Double?

    /// Counts, per film, the classes whose probability is at least their threshold.
    /// - Parameters:
    ///   - probabilities: (N, C) per film and class.
    ///   - labels: (N, C): 1 positive, 0 negative, −1 unknown (a film with an unknown class
    ///     and no positive is in neither group).
    ///   - thresholds: (C).
    /// - Throws: `EvaluationError.lengthMismatch` when the row counts differ, `raggedRow` when a
    ///   row's length is not the threshold count.
    public init(probabilities: [[Float]], labels: [[Float]], thresholds: [Float]) throws {
        guard probabilities.count == labels.count else {
            throw EvaluationError.lengthMismatch(what: "labels of the scored films", expected: probabilities.count, found: labels.count)
        }
        var normal: [Int] = [], abnormal: [Int] = []
        for (row, (scores, truth)) in zip(probabilities, labels).enumerated() {
            guard scores.count == thresholds.count else {
                throw EvaluationError.raggedRow(what: "probabilities", row: row, expected: thresholds.count, found: scores.count)
            }
            guard truth.count == thresholds.count else {
                throw EvaluationError.raggedRow(what: "labels", row: row, expected: thresholds.count, found: truth.count)
            }
            let marked = zip(scores, thresholds).filter { $0.0 >= $0.1 }.count
            if truth.contains(1) {
                abnormal.append(marked)
            } else if truth.allSatisfy({ $0 == 0 }) {
                normal.append(marked)
            }
        }
        func mean(_ counts: [Int]) -> Double? { counts.isEmpty ? nil : Double(counts.reduce(0, +)) / Double(counts.count) }
        noFindingFilms = normal.count
        meanOnNoFinding = mean(normal)
        filmsWithFindings = abnormal.count
        meanOnFilmsWithFindings = mean(abnormal)
    }
}
