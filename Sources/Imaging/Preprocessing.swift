import Random
import Foundation

/// Turns a decoded gray image into a normalized (C, S, S) float input for the network.
///
/// Evaluation (`apply(_:into:)`): resize so the shorter side is `resizeSize` (aspect kept),
/// then take the centred `outputSize` square — or, with `resizeSize` nil, resize straight to
/// `outputSize` × `outputSize` — and normalize. Only the cropped window is ever computed.
/// Training (`apply(_:into:generator:)`) replaces resize and crop by `augmentation`'s random
/// resized crop, rotation, optional flip and brightness/contrast.
public struct Preprocessing: Sendable, Equatable {
    /// Side of the square output.
    public var outputSize: Int
    /// Shorter side after resizing, before the centre crop; nil resizes straight to the output.
    public var resizeSize: Int?
    /// Resampling for the resize (area averages when shrinking, the sensible default).
    public var method: ResizeMethod
    public var normalization: Normalization
    /// Used only by the training call; nil makes it equal to evaluation.
    public var augmentation: Augmentation?

    public init(outputSize: Int = 224, resizeSize: Int? = 256, method: ResizeMethod = .area,
                normalization: Normalization = .imageNet, augmentation: Augmentation? = nil) {
        precondition(outputSize > 0, "outputSize must be positive")
        precondition(resizeSize.map { $0 >= outputSize } ?? true, "resizeSize must be at least outputSize")
        self.outputSize = outputSize
        self.resizeSize = resizeSize
        self.method = method
        self.normalization = normalization
        self.augmentation = augmentation
    }

    /// Floats one image occupies: channels × outputSize × outputSize.
    public var valuesPerImage: Int { normalization.channels * outputSize * outputSize }

    // output: (C, outputSize, outputSize)
    /// Evaluation preprocessing of `image` into `output` (at least `valuesPerImage` floats).
    public func apply(_ image: GrayscaleImage, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(output.count >= valuesPerImage, "output holds \(output.count) < \(valuesPerImage) floats")
        precondition(image.width > 0 && image.height > 0, "empty image")
        let size = outputSize
        let (fullWidth, fullHeight) = resizedDimensions(width: image.width, height: image.height)
        var values = [Float](repeating: 0, count: size * size)
        image.pixels.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { values in
                Resampler.resize(source: source, width: image.width, height: image.height,
                                 outputWidth: fullWidth, outputHeight: fullHeight,
                                 windowX: (fullWidth - size) / 2, windowY: (fullHeight - size) / 2,
                                 windowWidth: size, windowHeight: size, method: method, into: values)
                normalization.apply(UnsafeBufferPointer(values), into: output)
            }
        }
    }

    /// Training preprocessing: a fresh augmentation draw from `generator` (none when
    /// `augmentation` is nil, then equal to evaluation). Writes `valuesPerImage` floats.
    public func apply(_ image: GrayscaleImage, into output: UnsafeMutableBufferPointer<Float>,
                      generator: inout SplitMix64) {
        guard let augmentation else { return apply(image, into: output) }
        precondition(output.count >= valuesPerImage, "output holds \(output.count) < \(valuesPerImage) floats")
        precondition(image.width > 0 && image.height > 0, "empty image")
        let draw = augmentation.draw(width: image.width, height: image.height, generator: &generator)
        var values = Warp.cropRotate(image, draw: draw, outputSize: outputSize)
        Warp.adjustBrightnessContrast(&values, brightness: draw.brightnessFactor, contrast: draw.contrastFactor)
        values.withUnsafeBufferPointer { normalization.apply($0, into: output) }
    }

    /// Evaluation preprocessing as a new (C, S, S) image.
    public func callAsFunction(_ image: GrayscaleImage) -> FloatImage {
        var values = [Float](repeating: 0, count: valuesPerImage)
        values.withUnsafeMutableBufferPointer { apply(image, into: $0) }
        return FloatImage(channels: normalization.channels, width: outputSize, height: outputSize, pixels: values)
    }

    /// Training preprocessing as a new (C, S, S) image.
    public func callAsFunction(_ image: GrayscaleImage, generator: inout SplitMix64) -> FloatImage {
        var values = [Float](repeating: 0, count: valuesPerImage)
        values.withUnsafeMutableBufferPointer { apply(image, into: $0, generator: &generator) }
        return FloatImage(channels: normalization.channels, width: outputSize, height: outputSize, pixels: values)
    }

    /// The full resize grid before cropping: shorter side `resizeSize` (aspect kept, longer
    /// side rounded, never below the crop), or the output square.
    func resizedDimensions(width: Int, height: Int) -> (Int, Int) {
        guard let shorter = resizeSize else { return (outputSize, outputSize) }
        if width <= height {
            let longer = max(outputSize, Int((Double(height) * Double(shorter) / Double(width)).rounded()))
            return (shorter, longer)
        } else {
            let longer = max(outputSize, Int((Double(width) * Double(shorter) / Double(height)).rounded()))
            return (longer, shorter)
        }
    }
}

/// The augmentation's geometry and intensity kernels.
enum Warp {
    // image: (H, W) UInt8 -> (S, S) Float in [0, 255]
    /// Samples the rotated (and possibly mirrored) crop `draw` of `image` onto an S × S grid.
    /// When the crop is more than 1.25× larger than the output, the source is first area-
    /// reduced (only the window the rotated crop touches) so bilinear sampling does not alias.
    static func cropRotate(_ image: GrayscaleImage, draw: Augmentation.Draw, outputSize: Int) -> [Float] {
        let size = outputSize
        let reduction = max(1, min(draw.cropWidth, draw.cropHeight) / Float(size))
        // The reduced source grid (factor 1 means the original pixels, still converted to Float).
        let reducedWidth = max(1, Int((Float(image.width) / reduction).rounded()))
        let reducedHeight = max(1, Int((Float(image.height) / reduction).rounded()))
        let scaleX = Float(reducedWidth) / Float(image.width), scaleY = Float(reducedHeight) / Float(image.height)
        let centreX = (draw.cropX + draw.cropWidth / 2) * scaleX
        let centreY = (draw.cropY + draw.cropHeight / 2) * scaleY
        let halfWidth = draw.cropWidth / 2 * scaleX, halfHeight = draw.cropHeight / 2 * scaleY
        let cosine = cos(draw.angle), sine = sin(draw.angle)
        // Bounding box of the rotated crop in the reduced grid, with a margin for bilinear taps.
        let extentX = abs(cosine) * halfWidth + abs(sine) * halfHeight
        let extentY = abs(sine) * halfWidth + abs(cosine) * halfHeight
        let x0 = max(0, Int((centreX - extentX).rounded(.down)) - 2)
        let y0 = max(0, Int((centreY - extentY).rounded(.down)) - 2)
        let x1 = min(reducedWidth, Int((centreX + extentX).rounded(.up)) + 2)
        let y1 = min(reducedHeight, Int((centreY + extentY).rounded(.up)) + 2)
        let windowWidth = max(1, x1 - x0), windowHeight = max(1, y1 - y0)
        var window = [Float](repeating: 0, count: windowWidth * windowHeight)
        image.pixels.withUnsafeBufferPointer { source in
            window.withUnsafeMutableBufferPointer { window in
                if reducedWidth == image.width && reducedHeight == image.height {
                    for y in 0..<windowHeight {
                        for x in 0..<windowWidth {
                            window[y * windowWidth + x] = Float(source[(y0 + y) * image.width + x0 + x])
                        }
                    }
                } else {
                    Resampler.resize(source: source, width: image.width, height: image.height,
                                     outputWidth: reducedWidth, outputHeight: reducedHeight,
                                     windowX: x0, windowY: y0, windowWidth: windowWidth,
                                     windowHeight: windowHeight, method: .area, into: window)
                }
            }
        }
        var output = [Float](repeating: 0, count: size * size)
        let flipSign: Float = draw.flip ? -1 : 1
        window.withUnsafeBufferPointer { window in
            output.withUnsafeMutableBufferPointer { output in
                for v in 0..<size {
                    let py = ((Float(v) + 0.5) / Float(size) - 0.5) * 2 * halfHeight
                    for u in 0..<size {
                        let px = flipSign * ((Float(u) + 0.5) / Float(size) - 0.5) * 2 * halfWidth
                        // Continuous (edge-based) reduced coordinates -> pixel-centre window coordinates.
                        let sx = centreX + cosine * px - sine * py - 0.5 - Float(x0)
                        let sy = centreY + sine * px + cosine * py - 0.5 - Float(y0)
                        output[v * size + u] = bilinear(window, width: windowWidth, height: windowHeight, x: sx, y: sy)
                    }
                }
            }
        }
        return output
    }

    /// Bilinear sample at pixel-centre coordinates (x, y), edges clamped.
    @inline(__always)
    static func bilinear(_ values: UnsafeBufferPointer<Float>, width: Int, height: Int, x: Float, y: Float) -> Float {
        let cx = min(max(x, 0), Float(width - 1)), cy = min(max(y, 0), Float(height - 1))
        let ix = min(Int(cx), max(0, width - 2)), iy = min(Int(cy), max(0, height - 2))
        let fx = cx - Float(ix), fy = cy - Float(iy)
        let ix1 = min(ix + 1, width - 1), iy1 = min(iy + 1, height - 1)
        let top = values[iy * width + ix] * (1 - fx) + values[iy * width + ix1] * fx
        let bottom = values[iy1 * width + ix] * (1 - fx) + values[iy1 * width + ix1] * fx
        return top * (1 - fy) + bottom * fy
    }

    /// v ← clamp(((v − mean) · contrast + mean) · brightness, 0, 255), mean over the image.
    static func adjustBrightnessContrast(_ values: inout [Float], brightness: Float, contrast: Float) {
        guard brightness != 1 || contrast != 1, !values.isEmpty else { return }
        var sum: Float = 0
        for value in values { sum += value }
        let mean = sum / Float(values.count)
        for i in values.indices {
            values[i] = min(max(((values[i] - mean) * contrast + mean) * brightness, 0), 255)
        }
    }
}
