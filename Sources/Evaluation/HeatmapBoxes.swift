import Foundation

/// A box drawn around one connected hot region of a heatmap.
public struct DetectedBox: Equatable, Sendable, Codable {
    /// The box in the image frame's pixels (1024 × 1024 for ChestX-ray14).
    public var box: BoundingBox
    /// The threshold (on the 0–255 normalized map) whose binary map held the region.
    public var threshold: Float
    /// Pixels in the region, in the frame.
    public var pixelCount: Int

    public init(box: BoundingBox, threshold: Float, pixelCount: Int) {
        self.box = box
        self.threshold = threshold
        self.pixelCount = pixelCount
    }
}

/// The paper's box generation: heatmap → image frame → [0, 255] → binary maps at 60 and at 180
/// → a box around each connected region → at most three boxes.
///
/// The paper leaves open how the two thresholds combine and which boxes survive; Thorax's
/// choice, documented here and tested:
/// 1. The S×S heatmap is resized bilinearly (`Heatmap.resizedBilinear`) to the frame
///    (1024 × 1024 by default, the frame of the NIH boxes), since the network saw the whole
///    image squeezed to its input size.
/// 2. The resized map is min–max normalized to [0, 255] (after resizing, so that 255 is the
///    hottest pixel of the frame). A constant map has no hot region and yields no box.
/// 3. For each threshold t, the pixels with value ≥ t form a binary map; its 8-connected
///    regions (`connectedRegions`) become boxes.
/// 4. The regions of both thresholds are pooled (the low threshold gives the extent of a
///    finding, the high one its core; scoring may match either). Identical rectangles are
///    kept once. The `maximumBoxes` (3) regions with the most pixels are kept — ties by the
///    lower threshold, then raster order — so tiny specks do not count as detections.
///    A non-constant map reaches 255 (up to rounding), so it has a region at 60 and at 180
///    and yields one to three boxes: the paper's "1–3 boxes per heatmap".
public struct BoxExtraction: Equatable, Sendable {
    /// Thresholds on the 0–255 map, each applied on its own (the paper's 60 and 180).
    public var thresholds: [Float]
    /// At most this many boxes per heatmap (the paper's 3).
    public var maximumBoxes: Int
    /// The frame the boxes are reported in.
    public var frameWidth: Int
    public var frameHeight: Int

    /// - Precondition: maximumBoxes ≥ 1, frame sides > 0.
    public init(thresholds: [Float] = [60, 180], maximumBoxes: Int = 3,
                frameWidth: Int = 1024, frameHeight: Int = 1024) {
        precondition(maximumBoxes >= 1 && frameWidth > 0 && frameHeight > 0, "invalid box extraction settings")
        self.thresholds = thresholds
        self.maximumBoxes = maximumBoxes
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
    }

    /// The heatmap resized to the frame and normalized to [0, 255]: what `boxes(in:)` thresholds,
    /// and what an overlay shows.
    public func normalizedFrameMap(_ heatmap: Heatmap) -> Heatmap {
        let framed = heatmap.width == frameWidth && heatmap.height == frameHeight
            ? heatmap : heatmap.resizedBilinear(width: frameWidth, height: frameHeight)
        return framed.normalizedToByteRange()
    }

    /// The detections of one heatmap (any size; a CAM is S×S), in the frame, largest first.
    public func boxes(in heatmap: Heatmap) -> [DetectedBox] {
        boxes(inNormalizedFrameMap: normalizedFrameMap(heatmap))
    }

    /// The detections of a map already in the frame and normalized to [0, 255], largest first.
    public func boxes(inNormalizedFrameMap map: Heatmap) -> [DetectedBox] {
        var candidates: [(region: ConnectedRegion, threshold: Float)] = []
        for threshold in thresholds {
            let mask = map.mask(atLeast: threshold)
            for region in connectedRegions(mask: mask, width: map.width, height: map.height) {
                candidates.append((region, threshold))
            }
        }
        // Stable order: most pixels, then lower threshold, then raster order of the region.
        candidates.sort { a, b in
            if a.region.pixelCount != b.region.pixelCount { return a.region.pixelCount > b.region.pixelCount }
            if a.threshold != b.threshold { return a.threshold < b.threshold }
            if a.region.minY != b.region.minY { return a.region.minY < b.region.minY }
            return a.region.minX < b.region.minX
        }
        var kept: [DetectedBox] = []
        for candidate in candidates where kept.count < maximumBoxes {
            let box = candidate.region.boundingBox
            if kept.contains(where: { $0.box == box }) { continue }
            kept.append(DetectedBox(box: box, threshold: candidate.threshold, pixelCount: candidate.region.pixelCount))
        }
        return kept
    }
}
