import Random
import Foundation

/// Training-time augmentation, drawn from a `SplitMix64` so that a seed fixes every draw.
/// Horizontal flips are off unless asked for: on a chest X-ray a flip moves the heart to the
/// wrong side.
public struct Augmentation: Sendable, Equatable {
    /// Fraction of the source area the random crop covers (torchvision's RandomResizedCrop
    /// `scale`); X-ray findings sit near the edges too, so the default stays large.
    public var scale: ClosedRange<Float>
    /// Width/height ratio range of the crop, drawn log-uniformly.
    public var aspectRatio: ClosedRange<Float>
    /// Rotation drawn uniformly in ±this many degrees.
    public var maximumRotationDegrees: Float
    /// Brightness factor drawn in 1 ± this.
    public var brightness: Float
    /// Contrast factor (around the image mean) drawn in 1 ± this.
    public var contrast: Float
    /// Mirror left-right with probability 1/2 when true.
    public var horizontalFlip: Bool

    public init(scale: ClosedRange<Float> = 0.7...1.0, aspectRatio: ClosedRange<Float> = 0.75...(4.0 / 3.0),
                maximumRotationDegrees: Float = 7, brightness: Float = 0.1, contrast: Float = 0.1,
                horizontalFlip: Bool = false) {
        precondition(scale.lowerBound > 0 && scale.upperBound <= 1, "scale must lie in (0, 1]")
        precondition(aspectRatio.lowerBound > 0, "aspect ratios must be positive")
        self.scale = scale
        self.aspectRatio = aspectRatio
        self.maximumRotationDegrees = maximumRotationDegrees
        self.brightness = brightness
        self.contrast = contrast
        self.horizontalFlip = horizontalFlip
    }

    /// One draw of every random choice, in source pixel units.
    struct Draw: Equatable {
        var cropX: Float, cropY: Float, cropWidth: Float, cropHeight: Float
        var angle: Float          // radians
        var flip: Bool
        var brightnessFactor: Float
        var contrastFactor: Float
    }

    /// Draws crop, angle, flip, brightness and contrast for a `width` × `height` source, in a
    /// fixed order (so a seed reproduces them). Like torchvision, ten tries for a crop that
    /// fits, then the largest centred crop with the nearest allowed ratio.
    func draw(width: Int, height: Int, generator: inout SplitMix64) -> Draw {
        let area = Float(width * height)
        var crop: (Float, Float, Float, Float)? = nil
        for _ in 0..<10 {
            let target = area * generator.uniform(scale)
            let logRatio = generator.uniform(log(aspectRatio.lowerBound)...log(aspectRatio.upperBound))
            let ratio = exp(logRatio)
            let w = (target * ratio).squareRoot(), h = (target / ratio).squareRoot()
            let u = generator.uniform(0...1), v = generator.uniform(0...1)
            if w <= Float(width) && h <= Float(height) && w >= 1 && h >= 1 {
                crop = ((Float(width) - w) * u, (Float(height) - h) * v, w, h)
                break
            }
        }
        if crop == nil {
            let sourceRatio = Float(width) / Float(height)
            var w = Float(width), h = Float(height)
            if sourceRatio < aspectRatio.lowerBound { h = w / aspectRatio.lowerBound }
            else if sourceRatio > aspectRatio.upperBound { w = h * aspectRatio.upperBound }
            crop = ((Float(width) - w) / 2, (Float(height) - h) / 2, w, h)
        }
        let angle = generator.uniform(-maximumRotationDegrees...maximumRotationDegrees) * .pi / 180
        let flip = generator.uniform(0...1) < 0.5
        let brightnessFactor = generator.uniform((1 - brightness)...(1 + brightness))
        let contrastFactor = generator.uniform((1 - contrast)...(1 + contrast))
        return Draw(cropX: crop!.0, cropY: crop!.1, cropWidth: crop!.2, cropHeight: crop!.3, angle: angle,
                    flip: horizontalFlip && flip, brightnessFactor: brightnessFactor, contrastFactor: contrastFactor)
    }
}
