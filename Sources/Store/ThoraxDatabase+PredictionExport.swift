import Foundation
import GRDB

extension ThoraxDatabase {
    /// Writes model `modelID`'s stored probabilities as CSV: a header `Image Index` then the
    /// model's classes in its output order, and one row per image with predictions (of
    /// `split`'s `part` when given), ordered by image name. Probabilities are written as the
    /// shortest decimal that reads back as the stored 32-bit value.
    ///
    /// The file is written atomically (temporary file, then rename). Returns the row count.
    /// Throws `notFound` for an unknown model, split or part, and — unless `allowEmpty` — for no
    /// image with predictions (then no file is written); `cannotWrite` naming the file.
    @discardableResult
    public func exportPredictions(modelID: Int64, split: String? = nil, part: String? = nil, to url: URL,
                                  allowEmpty: Bool = true) throws -> Int {
        var text = ""
        let count = try queue.read { db -> Int in
            guard let classList = try String.fetchOne(db, sql: "SELECT ifnull(classes, '') FROM models WHERE id = ?",
                                                      arguments: [modelID]) else {
                throw StoreError.notFound("\(path ?? "the database") has no model with id \(modelID) (`thorax db stats` lists the models)")
            }
            let classes = classList.split(separator: "|").map(String.init)
            let column = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            var filter = ""
            var arguments: StatementArguments = [modelID]
            if let split {
                let (condition, splitArguments) = try Self.splitCondition(db, column: "p.image_id", split: split, part: part)
                filter = condition
                arguments += splitArguments
            }
            text = (["Image Index"] + classes).joined(separator: ",") + "\n"
            let rows = try Row.fetchCursor(db, sql: """
                SELECT i.name, p.class, p.probability FROM predictions p JOIN images i ON i.id = p.image_id
                WHERE p.model_id = ? \(filter)
                ORDER BY i.name, i.id
                """, arguments: arguments)
            var count = 0
            var name: String?
            var values = [String](repeating: "", count: classes.count)
            func flush() {
                guard let name else { return }
                text += name + "," + values.joined(separator: ",") + "\n"
                count += 1
            }
            while let row = try rows.next() {
                let image: String = row[0]
                if image != name {
                    flush()
                    name = image
                    values = [String](repeating: "", count: classes.count)
                }
                if let c = column[row[1] as String] { values[c] = Float(row[2] as Double).description }
            }
            flush()
            return count
        }
        if count == 0 && !allowEmpty {
            throw StoreError.notFound("\(path ?? "the database") holds no predictions of model \(modelID)\(Self.scope(split: split, part: part)) to export")
        }
        try Self.write(text, to: url)
        return count
    }
}
