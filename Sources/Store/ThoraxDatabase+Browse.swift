import Foundation
import GRDB

/// The image browser's queries: a filtered, paged list over the whole release, and one image
/// with everything stored about it.
extension ThoraxDatabase {
    /// The `filter.page`-th page of the images `filter` selects, and how many match in all.
    ///
    /// Rows are in image id order (the order of the import), or by the model's probability of
    /// the finding, highest first. The indexes of migration v6 keep a page of 50 over the full
    /// NIH import to milliseconds (docs/architecture.md, "The viewer", has the measurements).
    ///
    /// - Throws: `invalidRequest` for an unknown class or label source, a part without its
    ///   split, a probability condition or sort without a model and finding, a page size
    ///   outside 1…200 or a negative page; `notFound` for a model id the database lacks.
    public func browseImages(_ filter: ImageBrowseFilter) throws -> ImageBrowsePage {
        try queue.read { db in
            let (source, sourceModel) = try Self.labelSource(filter.labelSource, db)
            try Self.check(filter, db)
            // Conditions are `i.id IN (…)` over small indexed lists, so SQLite walks the list in
            // id order instead of probing every image (patients join only for the page's rows).
            var joins = "FROM images i"
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let split = filter.split, let part = filter.part {
                joins += " JOIN splits s ON s.image_id = i.id AND s.name = ? AND s.part = ?"
                arguments += [split, part]
            }
            let probability = filter.modelID != nil && filter.finding != nil
            if probability, let model = filter.modelID, let finding = filter.finding {
                // A LEFT JOIN, so that images without a stored prediction stay in the list
                // unless a probability condition or the sort asks for one.
                let required = filter.minimumProbability != nil || filter.sortByProbability
                joins += " \(required ? "JOIN" : "LEFT JOIN") predictions pr ON pr.image_id = i.id AND pr.model_id = ? AND pr.class = ?"
                arguments += [model, finding]
            }
            if let finding = filter.finding {
                conditions.append("""
                    i.id IN (SELECT l.image_id FROM labels l WHERE l.class = ? AND l.source = ? AND l.value = 1
                             AND l.image_id IS NOT NULL AND ifnull(l.model_id, 0) = ?)
                    """)
                arguments += [finding, source, sourceModel ?? 0]
            }
            if let minimum = filter.minimumProbability {
                conditions.append("pr.probability >= ?")
                arguments.append(minimum)
            }
            if let hasBoxes = filter.hasBoxes {
                conditions.append("i.id \(hasBoxes ? "" : "NOT ")IN (SELECT b.image_id FROM boxes b WHERE b.source IN ('nih', 'human'))")
            }
            if let patient = filter.patient {
                conditions.append("i.patient_id = (SELECT id FROM patients WHERE identifier = ?)")
                arguments.append(patient)
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT count(*) \(joins) \(whereClause)",
                                         arguments: StatementArguments(arguments)!) ?? 0
            let order = filter.sortByProbability ? "pr.probability DESC, i.id" : "i.id"
            let rows = try Row.fetchAll(db, sql: """
                SELECT i.id, i.name, p.identifier, i.view, i.age, i.sex, i.follow_up, i.path IS NOT NULL,
                       \(probability ? "pr.probability" : "NULL")
                \(joins) JOIN patients p ON p.id = i.patient_id \(whereClause) ORDER BY \(order) LIMIT ? OFFSET ?
                """, arguments: StatementArguments(arguments + [filter.pageSize, filter.page * filter.pageSize])!)
            var images = rows.map { row in
                BrowsedImage(id: row[0], name: row[1], patient: row[2], view: row[3], age: row[4], sex: row[5],
                             followUp: row[6], hasFile: row[7], labels: [], probability: row[8])
            }
            let positions = Dictionary(uniqueKeysWithValues: images.enumerated().map { ($0.element.id, $0.offset) })
            if !images.isEmpty {
                let marks = Array(repeating: "?", count: images.count).joined(separator: ",")
                let labelRows = try Row.fetchAll(db, sql: """
                    SELECT l.image_id, l.class FROM labels l JOIN classes c ON c.name = l.class
                    WHERE l.image_id IN (\(marks)) AND l.source = ? AND ifnull(l.model_id, 0) = ? AND l.value = 1
                    ORDER BY c.position
                    """, arguments: StatementArguments(images.map(\.id) + [source, sourceModel ?? 0] as [any DatabaseValueConvertible]))
                for row in labelRows {
                    if let position = positions[row[0]] { images[position].labels.append(row[1]) }
                }
            }
            return ImageBrowsePage(total: total, page: filter.page, pageSize: filter.pageSize, images: images)
        }
    }

    /// A label source as the labels table stores it: (`nih` | `labeller` | `human` | `model`,
    /// the model's id for `model:ID`).
    static func labelSource(_ value: String, _ db: Database) throws -> (String, Int64?) {
        if value.hasPrefix("model:"), let id = Int64(value.dropFirst("model:".count)) {
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM models WHERE id = ?)", arguments: [id]) ?? false else {
                throw StoreError.notFound("no model with id \(id) (label source \(value))")
            }
            return ("model", id)
        }
        guard labelSources.contains(value) else {
            throw StoreError.invalidRequest("unknown label source '\(value)': nih, labeller, human or model:ID")
        }
        return (value, nil)
    }

    private static func check(_ filter: ImageBrowseFilter, _ db: Database) throws {
        if let finding = filter.finding, !Findings.labelClasses.contains(finding) {
            throw StoreError.invalidRequest("unknown class '\(finding)': one of \(Findings.labelClasses.joined(separator: ", "))")
        }
        if (filter.split == nil) != (filter.part == nil) {
            throw StoreError.invalidRequest("a split and its part are given together (split \(filter.split ?? "none"), part \(filter.part ?? "none"))")
        }
        if (filter.minimumProbability != nil || filter.sortByProbability) && (filter.modelID == nil || filter.finding == nil) {
            throw StoreError.invalidRequest("a probability condition or sort needs a model and a finding")
        }
        if let model = filter.modelID,
           !(try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM models WHERE id = ?)", arguments: [model]) ?? false) {
            throw StoreError.notFound("no model with id \(model)")
        }
        guard (1...200).contains(filter.pageSize) else {
            throw StoreError.invalidRequest("page size \(filter.pageSize) is not 1 to 200")
        }
        guard filter.page >= 0 else { throw StoreError.invalidRequest("page \(filter.page) is negative") }
    }
}
