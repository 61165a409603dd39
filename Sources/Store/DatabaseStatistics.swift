import GRDB

/// Counts over the whole database, as `thorax db stats` prints them.
///
/// The first seven fields are the contract (`images`, `images_on_disk`, `patients`,
/// `reports`, `boxes`, `labels`: positives per class over every label row, `splits`: images per
/// part); the rest are extras.
public struct DatabaseStatistics: Codable, Equatable, Sendable {
    public var images: Int
    public var imagesOnDisk: Int
    public var patients: Int
    public var reports: Int
    public var boxes: Int
    /// Class name to the number of label rows with value 1 (images and reports, every source).
    public var labels: [String: Int]
    /// Split name to part name to number of images.
    public var splits: [String: [String: Int]]

    // Extras.
    public var studies: Int
    public var models: Int
    public var predictions: Int
    /// Source to class to positives: `labels` broken down by where the labels came from.
    public var labelsBySource: [String: [String: Int]]
    /// Class to number of boxes.
    public var boxesByClass: [String: Int]

    enum CodingKeys: String, CodingKey {
        case images, imagesOnDisk = "images_on_disk", patients, reports, boxes, labels, splits
        case studies, models, predictions, labelsBySource = "labels_by_source"
        case boxesByClass = "boxes_by_class"
    }
}

extension ThoraxDatabase {
    /// Computes `DatabaseStatistics` in one read transaction (a consistent snapshot).
    public func statistics() throws -> DatabaseStatistics {
        try queue.read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            var labelsBySource: [String: [String: Int]] = [:]
            var labels: [String: Int] = [:]
            try Row.fetchCursor(db, sql: """
                SELECT source, class, count(*) FROM labels WHERE value = 1 GROUP BY source, class
                """).forEach { row in
                let source: String = row[0], finding: String = row[1], n: Int = row[2]
                labelsBySource[source, default: [:]][finding] = n
                labels[finding, default: 0] += n
            }
            var splits: [String: [String: Int]] = [:]
            try Row.fetchCursor(db, sql: "SELECT name, part, count(*) FROM splits GROUP BY name, part").forEach { row in
                splits[row[0] as String, default: [:]][row[1] as String] = row[2] as Int
            }
            var boxesByClass: [String: Int] = [:]
            try Row.fetchCursor(db, sql: "SELECT class, count(*) FROM boxes GROUP BY class").forEach { row in
                boxesByClass[row[0] as String] = row[1] as Int
            }
            return DatabaseStatistics(
                images: try count("SELECT count(*) FROM images"),
                imagesOnDisk: try count("SELECT count(*) FROM images WHERE path IS NOT NULL"),
                patients: try count("SELECT count(*) FROM patients"),
                reports: try count("SELECT count(*) FROM reports"),
                boxes: try count("SELECT count(*) FROM boxes"),
                labels: labels, splits: splits,
                studies: try count("SELECT count(*) FROM studies"),
                models: try count("SELECT count(*) FROM models"),
                predictions: try count("SELECT count(*) FROM predictions"),
                labelsBySource: labelsBySource, boxesByClass: boxesByClass)
        }
    }
}
