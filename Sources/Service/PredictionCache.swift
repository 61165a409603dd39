import Evaluation
import Foundation
import Pipeline

/// The predictions `POST /v1/predict` made with heatmaps, kept in memory by id so that
/// `GET /v1/predictions/{id}/heatmaps/{class}.png` can draw their figures later.
///
/// Bounded: at most `maximumEntries` predictions and `maximumBytes` of images and heatmaps.
/// Storing one more evicts the least recently used (stored or read) until both bounds hold; a
/// prediction larger than `maximumBytes` alone is not kept. An evicted id answers 404, so a
/// client fetches its figures soon after the prediction. Nothing is written to disk.
public actor PredictionCache {
    public struct Entry: Sendable {
        public var model: String
        public var heatmaps: ImageHeatmaps
        /// Boxes already computed per class index (the figure draws the same ones).
        public var boxes: [Int: [BoundingBox]]

        public init(model: String, heatmaps: ImageHeatmaps, boxes: [Int: [BoundingBox]] = [:]) {
            self.model = model
            self.heatmaps = heatmaps
            self.boxes = boxes
        }

        /// Image bytes plus heatmap floats: what the entry holds in memory.
        var bytes: Int {
            heatmaps.image.pixels.count + heatmaps.prediction.heatmaps.reduce(0) { $0 + $1.values.count * 4 }
        }
    }

    public let maximumEntries: Int
    public let maximumBytes: Int
    private var entries: [String: Entry] = [:]
    /// Ids from least to most recently used.
    private var order: [String] = []
    private var bytes = 0

    public init(maximumEntries: Int = 64, maximumBytes: Int = 256 << 20) {
        self.maximumEntries = max(0, maximumEntries)
        self.maximumBytes = max(0, maximumBytes)
    }

    public var count: Int { entries.count }

    /// Keeps `entry` and returns its new id (random, so ids cannot be guessed from each other),
    /// or nil when it is too large to keep.
    public func store(_ entry: Entry) -> String? {
        let size = entry.bytes
        guard maximumEntries > 0, size <= maximumBytes else { return nil }
        while !order.isEmpty && (entries.count + 1 > maximumEntries || bytes + size > maximumBytes) {
            let oldest = order.removeFirst()
            if let evicted = entries.removeValue(forKey: oldest) { bytes -= evicted.bytes }
        }
        let id = UUID().uuidString.lowercased()
        entries[id] = entry
        order.append(id)
        bytes += size
        return id
    }

    /// The entry of `id`, marked as just used; nil when unknown or evicted.
    public func entry(_ id: String) -> Entry? {
        guard let entry = entries[id] else { return nil }
        if let index = order.firstIndex(of: id) {
            order.remove(at: index)
            order.append(id)
        }
        return entry
    }

    /// Records the boxes of class `index` of `id` once computed.
    public func setBoxes(_ boxes: [BoundingBox], ofClass index: Int, for id: String) {
        entries[id]?.boxes[index] = boxes
    }
}
