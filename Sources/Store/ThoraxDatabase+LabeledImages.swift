import Foundation
import GRDB

/// An image of a split part with its file and its labels, as training and evaluation read them.
public struct LabeledImage: Sendable, Equatable {
    /// The image name (NIH "Image Index").
    public var name: String
    /// The patient identifier.
    public var patient: String
    /// The file recorded for the image, or nil when none was found on import.
    public var path: String?
    /// One value per class of `Findings.classes` in order: 1 positive, 0 negative, −1 uncertain.
    public var labels: [Int]

    public init(name: String, patient: String, path: String?, labels: [Int]) {
        self.name = name
        self.patient = patient
        self.path = path
        self.labels = labels
    }
}

extension ThoraxDatabase {
    /// The images of `split`'s `part`, ordered by name, with their labels from `source` for the
    /// 14 classes. A class without a stored label is 0 (the NIH release lists positives only).
    /// - Throws: `StoreError.notFound` for an unknown split or part.
    public func labeledImages(split: String, part: String, source: String = "nih") throws -> [LabeledImage] {
        try queue.read { db in
            let parts = try String.fetchAll(db, sql: "SELECT DISTINCT part FROM splits WHERE name = ?", arguments: [split])
            guard !parts.isEmpty else { throw StoreError.notFound("no split named '\(split)'") }
            guard parts.contains(part) else {
                throw StoreError.notFound("split '\(split)' has no part '\(part)' (it has \(parts.sorted().joined(separator: ", ")))")
            }
            var images: [LabeledImage] = []
            var index: [Int64: Int] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT i.id, i.name, p.identifier, i.path FROM images i
                JOIN patients p ON p.id = i.patient_id
                JOIN splits s ON s.image_id = i.id AND s.name = ? AND s.part = ?
                ORDER BY i.name
                """, arguments: [split, part])
            while let row = try rows.next() {
                index[row[0]] = images.count
                images.append(LabeledImage(name: row[1], patient: row[2], path: row[3],
                                           labels: Array(repeating: 0, count: Findings.classes.count)))
            }
            let labels = try Row.fetchCursor(db, sql: """
                SELECT l.image_id, l.class, l.value FROM labels l
                JOIN splits s ON s.image_id = l.image_id AND s.name = ? AND s.part = ?
                WHERE l.source = ?
                """, arguments: [split, part, source])
            while let row = try labels.next() {
                let imageID: Int64 = row[0]
                let name: String = row[1]
                guard let position = index[imageID], let column = Findings.index[name], column < Findings.classes.count else { continue }
                images[position].labels[column] = row[2]
            }
            return images
        }
    }
}
