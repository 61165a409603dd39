import Random
import XCTest
@testable import Imaging

/// The fused overlay and the band-only box outline against their first versions
/// (`ReferenceOverlay`), byte for byte, on random films, maps and boxes.
final class HeatmapOverlayTwinTests: XCTestCase {
    func testFusedRenderEqualsColorizeThenBlend() {
        var generator = SplitMix64(seed: 23)
        let cases: [(Int, Int, Int, Int, Float, ClosedRange<Float>?)] = [
            (1, 1, 1, 1, 0.4, nil), (4, 4, 37, 29, 0.4, nil), (16, 16, 160, 128, 0.25, nil),
            (7, 5, 64, 64, 1, -2...3), (3, 3, 50, 41, 0.4, 0...0), (2, 1, 9, 3, -0.5, nil),
        ]
        for (mapWidth, mapHeight, width, height, alpha, range) in cases {
            let values = (0..<(mapWidth * mapHeight)).map { _ in Float(generator.below(2000)) / 100 - 10 }
            let image = GrayscaleImage(width: width, height: height, pixels: (0..<(width * height)).map { _ in UInt8(generator.below(256)) })
            let fused = HeatmapOverlay.render(image, heatmap: values, width: mapWidth, height: mapHeight, alpha: alpha, range: range)
            let reference = ReferenceOverlay.render(image, heatmap: values, width: mapWidth, height: mapHeight, alpha: alpha, range: range)
            XCTAssertEqual(fused, reference, "\(mapWidth)×\(mapHeight) on \(width)×\(height), alpha \(alpha)")
            XCTAssertEqual(HeatmapOverlay.blend(image, HeatmapOverlay.colorize(values, width: mapWidth, height: mapHeight,
                                                                               outputWidth: width, outputHeight: height, range: range),
                                                alpha: alpha), reference)
        }
    }

    func testBandOutlinesEqualThePerPixelTest() {
        var generator = SplitMix64(seed: 5)
        for trial in 0..<300 {
            let width = 1 + generator.below(40), height = 1 + generator.below(40)
            let start = RGBImage(GrayscaleImage(width: width, height: height, pixels: (0..<(width * height)).map { _ in UInt8(generator.below(256)) }))
            let x = Double(generator.below(60)) - 10 + Double(generator.below(4)) / 4
            let y = Double(generator.below(60)) - 10 + Double(generator.below(4)) / 4
            let boxWidth = Double(generator.below(50)) - 2, boxHeight = Double(generator.below(50)) - 2
            let line = generator.below(12)
            var fast = start, reference = start
            fast.drawBox(x: x, y: y, width: boxWidth, height: boxHeight, color: (1, 2, 3), lineWidth: line)
            ReferenceOverlay.drawBox(&reference, x: x, y: y, width: boxWidth, height: boxHeight, color: (1, 2, 3), lineWidth: line)
            XCTAssertEqual(fast, reference, "trial \(trial): box (\(x), \(y), \(boxWidth), \(boxHeight)) line \(line) on \(width)×\(height)")
        }
    }
}

/// `roundedByte` against `UInt8(x.rounded())`: at every half and whole step of [0, 255], the
/// floats next to them, and a million random floats.
final class RoundedByteTests: XCTestCase {
    func testRoundedByteEqualsRoundingHalfAwayFromZero() {
        var values: [Float] = []
        for step in 0...510 {
            let x = Float(step) / 2
            values += [x, x.nextUp, x.nextDown, x.nextUp.nextUp, x.nextDown.nextDown]
        }
        var generator = SplitMix64(seed: 3)
        for _ in 0..<1_000_000 { values.append(Float(generator.below(1 << 24)) / Float(1 << 24) * 255) }
        let checked = values.filter { $0 >= 0 && $0 <= 255 }
        let wrong = checked.filter { roundedByte($0) != UInt8($0.rounded()) }
        XCTAssertGreaterThan(checked.count, 1_000_000)
        XCTAssertEqual(wrong, [], "values rounded differently")
    }
}
