import Evaluation
import Foundation

extension ModelCard {
    /// The paper's localization benchmark as this model scored it on a stated set of boxed films
    /// (`thorax localize --record-in-card`): the table, how many films and boxes it stands on,
    /// and what so few boxes can and cannot say.
    public struct Localization: Codable, Equatable, Sendable {
        /// Which films were scored, in words (the database and the count).
        public var evaluatedOn: String
        /// Films scored, and hand-drawn boxes per column of `table` (the table's class order).
        public var images: Int
        public var truthBoxes: [Int]
        /// Accuracy and average false positives per class at each threshold (the paper's Table 3).
        public var table: LocalizationTable
        /// What the figures can stand for; says "an anecdote" below 100 boxes.
        public var caveat: String

        public init(evaluatedOn: String, images: Int, truthBoxes: [Int], table: LocalizationTable, caveat: String) {
            self.evaluatedOn = evaluatedOn
            self.images = images
            self.truthBoxes = truthBoxes
            self.table = table
            self.caveat = caveat
        }
    }
}

extension LocalizationReport {
    /// The report as a card's localization section; `source` names the boxed films' origin
    /// (e.g. the database file).
    public func cardSection(source: String) -> ModelCard.Localization {
        var boxes = [Int](repeating: 0, count: table.classNames.count)
        let column = Dictionary(table.classNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        for scored in cases {
            if let c = column[scored.className] { boxes[c] += scored.truthBoxes.count }
        }
        let images = Set(cases.map(\.imageName)).count
        let total = boxes.reduce(0, +)
        let caveat = total < 100
            ? "\(total) hand-drawn boxes on \(images) films: an anecdote, not a benchmark (the paper scored 984 boxes on 880 films); a class with no box here is undefined."
            : "\(total) hand-drawn boxes on \(images) films."
        return ModelCard.Localization(evaluatedOn: "\(images) boxed films of \(source)", images: images,
                                      truthBoxes: boxes, table: table, caveat: caveat)
    }
}
