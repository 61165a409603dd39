import Evaluation
import Foundation

extension ModelCard {
    /// The paper's localization benchmark as this model scored it on a stated set of boxed films
    /// (`thorax localize --record-in-card`): the table, how many films and boxes it stands on,
    /// and what so few boxes can and cannot say.
    public struct Localization: Codable, Equatable, Sendable {
        /// Which films were scored, in words (the database and the count).
        public var evaluatedOn: String
        /// Films scored.
        public var images: Int
        /// Accuracy and average false positives per class at each threshold (the paper's Table 3);
        /// each row also counts the hand-drawn boxes per class.
        public var table: LocalizationTable
        /// What the figures can stand for; says "an anecdote" below 100 boxes.
        public var caveat: String

        public init(evaluatedOn: String, images: Int, table: LocalizationTable, caveat: String) {
            self.evaluatedOn = evaluatedOn
            self.images = images
            self.table = table
            self.caveat = caveat
        }
    }
}

extension LocalizationReport {
    /// The report as a card's localization section; `source` names the boxed films' origin
    /// (e.g. the database file).
    public func cardSection(source: String) -> ModelCard.Localization {
        let boxes = table.rows.first.map { $0.classes.reduce(0) { $0 + $1.truthBoxes } } ?? 0
        let images = Set(cases.map(\.imageName)).count
        let caveat = boxes < 100
            ? "\(boxes) hand-drawn boxes on \(images) films: an anecdote, not a benchmark (the paper scored 984 boxes on 880 films); a class with no box here is undefined."
            : "\(boxes) hand-drawn boxes on \(images) films."
        return ModelCard.Localization(evaluatedOn: "\(images) boxed films of \(source)", images: images, table: table, caveat: caveat)
    }
}
