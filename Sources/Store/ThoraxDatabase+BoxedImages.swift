import Foundation
import GRDB

/// A hand-drawn box of one class, in the stored frame (NIH: 1024 × 1024): the top-left corner
/// (x, y) and the width and height, as `BBox_List_2017.csv` gives them.
public struct TruthBox: Equatable, Sendable, Codable {
    public var className: String
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(className: String, x: Double, y: Double, width: Double, height: Double) {
        self.className = className
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// An image with hand-drawn boxes: its name, its file (nil when none is recorded), its boxes.
public struct BoxedImage: Equatable, Sendable {
    public var name: String
    public var path: String?
    public var boxes: [TruthBox]

    public init(name: String, path: String?, boxes: [TruthBox]) {
        self.name = name
        self.path = path
        self.boxes = boxes
    }
}

/// The images `thorax localize` reads from the database: those with hand-drawn boxes.
extension ThoraxDatabase {
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
                let box = TruthBox(className: row[2], x: row[3], y: row[4], width: row[5], height: row[6])
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
