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
            let query = BrowseQuery(filter: filter, source: source, sourceModel: sourceModel)
            let total = try Int.fetchOne(db, sql: query.count.sql, arguments: StatementArguments(query.count.arguments)) ?? 0
            let page = query.page(total: total)
            let rows = try Row.fetchAll(db, sql: page.sql, arguments: StatementArguments(page.arguments))
            var images = rows.map { row in
                BrowsedImage(id: row[0], name: row[1], patient: row[2], view: row[3], age: row[4], sex: row[5],
                             followUp: row[6], hasFile: row[7], labels: [], probability: row[8])
            }
            let positions = Dictionary(uniqueKeysWithValues: images.enumerated().map { ($0.element.id, $0.offset) })
            if !images.isEmpty {
                let marks = Array(repeating: "?", count: images.count).joined(separator: ",")
                // `+` keeps SQLite from walking every positive label of the source
                // (`labels_positive`) instead of looking up the page's 50 images.
                let labelRows = try Row.fetchAll(db, sql: """
                    SELECT l.image_id, l.class FROM labels l JOIN classes c ON c.name = l.class
                    WHERE l.image_id IN (\(marks)) AND +l.source = ? AND ifnull(l.model_id, 0) = ? AND +l.value = 1
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
