import Foundation
import GRDB
import Store

/// The images the benchmarks read from the database: labelled images of a split part (for
/// `thorax eval`) and images with hand-drawn boxes (for `thorax localize`).
extension ThoraxDatabase {
    /// The images of part `part` of split `split`, by name, with the classes for which they
    /// have a positive label from `labelSource` (e.g. `nih`). Images with no such label count
    /// as negative for every class.
    ///
    /// - Throws: `EvaluationError.invalidParameter` when the split has no such part (naming the
    ///   parts it has); GRDB's errors for an unreadable database.
    public func labelledImages(split: String, part: String, labelSource: String = "nih") throws -> [LabelledImage] {
        try queue.read { db in
            let parts = try String.fetchAll(db, sql: "SELECT DISTINCT part FROM splits WHERE name = ? ORDER BY part",
                                            arguments: [split])
            guard parts.contains(part) else {
                throw EvaluationError.invalidParameter(parts.isEmpty
                    ? "the database has no split named '\(split)'"
                    : "split '\(split)' has no part '\(part)'; its parts: \(parts.joined(separator: ", "))")
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT images.name, images.path, group_concat(labels.class, '|')
                FROM splits JOIN images ON images.id = splits.image_id
                LEFT JOIN labels ON labels.image_id = images.id AND labels.value = 1 AND labels.source = ?
                WHERE splits.name = ? AND splits.part = ?
                GROUP BY images.id ORDER BY images.name
                """, arguments: [labelSource, split, part])
            return rows.map { row in
                let classes: String? = row[2]
                return LabelledImage(name: row[0], path: row[1],
                                     positiveClasses: Set((classes ?? "").split(separator: "|").map(String.init)))
            }
        }
    }

    /// Every image with hand-drawn boxes (sources `nih` and `human`; a model's boxes are not
    /// truth), by name, with its boxes in the stored frame (NIH: 1024 × 1024) in stored order.
    public func boxedImages() throws -> [BoxedImage] {
        try queue.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT images.name, images.path, boxes.class, boxes.x, boxes.y, boxes.w, boxes.h
                FROM boxes JOIN images ON images.id = boxes.image_id
                WHERE boxes.source IN ('nih', 'human')
                ORDER BY images.name, boxes.id
                """)
            var images: [BoxedImage] = []
            for row in rows {
                let name: String = row[0]
                let box = TruthBox(className: row[2], box: BoundingBox(x: row[3], y: row[4], width: row[5], height: row[6]))
                if images.last?.name == name {
                    images[images.count - 1].boxes.append(box)
                } else {
                    images.append(BoxedImage(name: name, path: row[1], boxes: [box]))
                }
            }
            return images
        }
    }
}
