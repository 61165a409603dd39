import Evaluation
import Foundation
import Imaging

/// A localization figure: the X-ray with one class's heatmap coloured and blended over it, the
/// boxes generated from the heatmap in red and the hand-drawn truth boxes in green.
public enum HeatmapFigure {
    /// Colour of generated boxes (red).
    public static let detectionColor: (UInt8, UInt8, UInt8) = (230, 30, 30)
    /// Colour of hand-drawn truth boxes (green).
    public static let truthColor: (UInt8, UInt8, UInt8) = (40, 220, 60)

    /// Renders the figure at the image's size.
    ///
    /// - Parameters:
    ///   - image: the X-ray as decoded (any size).
    ///   - heatmap: the class's map over the whole image (an S×S CAM or larger); resized
    ///     bilinearly and coloured from its minimum to its maximum.
    ///   - detections, truth: boxes in a `frameWidth` × `frameHeight` frame (e.g. NIH's 1024 ×
    ///     1024), scaled to the image's pixels for drawing.
    ///   - lineWidth: box outline thickness in image pixels; nil scales it with the image
    ///     (2 pixels per 512).
    public static func render(image: GrayscaleImage, heatmap: Heatmap, detections: [BoundingBox],
                              truth: [BoundingBox] = [], frameWidth: Int, frameHeight: Int,
                              lineWidth: Int? = nil) -> RGBImage {
        var figure = HeatmapOverlay.render(image, heatmap: heatmap.values, width: heatmap.width, height: heatmap.height)
        let scaleX = Double(image.width) / Double(frameWidth)
        let scaleY = Double(image.height) / Double(frameHeight)
        let line = lineWidth ?? max(1, Int((Double(max(image.width, image.height)) / 256).rounded()))
        for (boxes, color) in [(detections, detectionColor), (truth, truthColor)] {
            for box in boxes {
                let scaled = box.scaled(x: scaleX, y: scaleY)
                figure.drawBox(x: scaled.x, y: scaled.y, width: scaled.width, height: scaled.height,
                               color: color, lineWidth: line)
            }
        }
        return figure
    }

    /// A file name for the figure of `className` on the image `imageName`: the image's name
    /// without extension, a dash, the class, `.png` — with characters other than letters,
    /// digits, `-`, `_` and `.` replaced by `_` so that any image name gives a safe file name.
    public static func fileName(imageName: String, className: String) -> String {
        let stem = (imageName as NSString).deletingPathExtension
        let safe = { (text: String) in
            String(text.unicodeScalars.map { scalar -> Character in
                CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || "-_.".unicodeScalars.contains(scalar)
                    ? Character(scalar) : "_"
            })
        }
        return "\(safe(stem))-\(safe(className)).png"
    }
}
