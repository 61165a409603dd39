import Random
import Foundation
@testable import Imaging

/// Plain, obviously-correct twins of the fast kernels, used only by tests.
enum ReferenceKernels {
    /// Area resize by definition: each output pixel is the coverage-weighted mean of the source
    /// pixels its box overlaps. Only for shrinking both axes.
    static func areaResize(_ image: GrayscaleImage, width: Int, height: Int) -> [Double] {
        let sx = Double(image.width) / Double(width), sy = Double(image.height) / Double(height)
        var output = [Double](repeating: 0, count: width * height)
        for oy in 0..<height {
            for ox in 0..<width {
                var sum = 0.0
                for y in 0..<image.height {
                    let overlapY = min(Double(oy + 1) * sy, Double(y + 1)) - max(Double(oy) * sy, Double(y))
                    if overlapY <= 0 { continue }
                    for x in 0..<image.width {
                        let overlapX = min(Double(ox + 1) * sx, Double(x + 1)) - max(Double(ox) * sx, Double(x))
                        if overlapX <= 0 { continue }
                        sum += overlapX * overlapY * Double(image[x, y])
                    }
                }
                output[oy * width + ox] = sum / (sx * sy)
            }
        }
        return output
    }

    /// Bilinear resize by definition: half-pixel centres, clamped to the edge pixels.
    static func bilinearResize(_ image: GrayscaleImage, width: Int, height: Int) -> [Double] {
        let sx = Double(image.width) / Double(width), sy = Double(image.height) / Double(height)
        func sample(_ x: Int, _ y: Int) -> Double {
            Double(image[min(max(x, 0), image.width - 1), min(max(y, 0), image.height - 1)])
        }
        var output = [Double](repeating: 0, count: width * height)
        for oy in 0..<height {
            for ox in 0..<width {
                let x = min(max((Double(ox) + 0.5) * sx - 0.5, 0), Double(image.width - 1))
                let y = min(max((Double(oy) + 0.5) * sy - 0.5, 0), Double(image.height - 1))
                let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
                let fx = x - Double(x0), fy = y - Double(y0)
                output[oy * width + ox] = (1 - fy) * ((1 - fx) * sample(x0, y0) + fx * sample(x0 + 1, y0))
                    + fy * ((1 - fx) * sample(x0, y0 + 1) + fx * sample(x0 + 1, y0 + 1))
            }
        }
        return output
    }

    /// (v / 255 − mean_c) / std_c for each channel, (C, H, W).
    static func normalize(_ values: [Double], means: [Double], standardDeviations: [Double]) -> [Double] {
        zip(means, standardDeviations).flatMap { mean, std in values.map { ($0 / 255 - mean) / std } }
    }

    /// A reproducible pseudo-random image.
    static func randomImage(width: Int, height: Int, seed: UInt64) -> GrayscaleImage {
        var generator = SplitMix64(seed: seed)
        return GrayscaleImage(width: width, height: height,
                              pixels: (0..<(width * height)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
    }
}
