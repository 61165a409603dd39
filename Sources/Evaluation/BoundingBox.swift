import Foundation

/// An axis-aligned box in image pixels: the top-left corner (x, y) and its width and height, as
/// `BBox_List_2017.csv` gives them in the 1024 × 1024 frame.
///
/// Coordinates are continuous: a box from x to x + width covers that span of the image, so a
/// region of whole pixels with columns a…b becomes x = a, width = b − a + 1. A negative width or
/// height counts as an empty box (area 0); overlaps with an empty box are 0.
public struct BoundingBox: Equatable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The area; 0 for an empty box.
    public var area: Double { max(0, width) * max(0, height) }

    /// The area both boxes cover; 0 when they do not overlap.
    public func intersectionArea(with other: BoundingBox) -> Double {
        let overlapWidth = min(x + max(0, width), other.x + max(0, other.width)) - max(x, other.x)
        let overlapHeight = min(y + max(0, height), other.y + max(0, other.height)) - max(y, other.y)
        return max(0, overlapWidth) * max(0, overlapHeight)
    }

    /// Intersection over union, in [0, 1]; 0 when both boxes are empty.
    public func intersectionOverUnion(with other: BoundingBox) -> Double {
        let intersection = intersectionArea(with: other)
        let union = area + other.area - intersection
        return union > 0 ? intersection / union : 0
    }

    /// The paper's IoBB with `self` as the ground truth: area(truth ∩ detected) / area(detected),
    /// in [0, 1]. It rewards a detection that lies inside the truth, however small, and does not
    /// punish it for missing the rest of the truth. 0 when the detection is empty.
    public func intersectionOverDetectedBox(_ detected: BoundingBox) -> Double {
        let detectedArea = detected.area
        return detectedArea > 0 ? intersectionArea(with: detected) / detectedArea : 0
    }

    /// The box scaled from one frame to another (e.g. heatmap pixels to the 1024 frame).
    public func scaled(x scaleX: Double, y scaleY: Double) -> BoundingBox {
        BoundingBox(x: x * scaleX, y: y * scaleY, width: width * scaleX, height: height * scaleY)
    }

    public var description: String {
        String(format: "[x %.1f, y %.1f, w %.1f, h %.1f]", x, y, width, height)
    }
}
