import Foundation
import TestSupport
import XCTest
@testable import Imaging

final class HeatmapOverlayTests: XCTestCase {
    func testJetAnchorsAreMATLABs() {
        // jet's defining anchors: dark blue, cyan at 3/8, (half, full, half) at 1/2, yellow at 5/8, dark red.
        XCTAssertTrue(Colormap.jet.color(0) == (0, 0, 128))
        XCTAssertTrue(Colormap.jet.color(0.375) == (0, 255, 255))
        XCTAssertTrue(Colormap.jet.color(0.5) == (128, 255, 128))
        XCTAssertTrue(Colormap.jet.color(0.625) == (255, 255, 0))
        XCTAssertTrue(Colormap.jet.color(1) == (128, 0, 0))
        XCTAssertTrue(Colormap.jet.color(7) == (128, 0, 0))
        XCTAssertTrue(Colormap.jet.color(.nan) == (0, 0, 128))
    }

    func testColorizeScalesTheMapsRange() {
        let image = HeatmapOverlay.colorize([2, 6, 4], width: 3, height: 1, outputWidth: 3, outputHeight: 1)
        XCTAssertTrue(image[0, 0] == Colormap.jet.color(0))
        XCTAssertTrue(image[1, 0] == Colormap.jet.color(1))
        XCTAssertTrue(image[2, 0] == Colormap.jet.color(0.5))
        let fixed = HeatmapOverlay.colorize([2, 6], width: 2, height: 1, outputWidth: 2, outputHeight: 1, range: 0...8)
        XCTAssertTrue(fixed[1, 0] == Colormap.jet.color(0.75))
        let constant = HeatmapOverlay.colorize([3, 3, 3, 3], width: 2, height: 2, outputWidth: 5, outputHeight: 4)
        XCTAssertEqual(Set(constant.pixels), Set([0, 128]))
    }

    func testColorizeResizesBilinearly() {
        // A 2 x 1 map [0, 1] stretched to 4 x 1 samples at 0, 0.25, 0.75, 1 (half-pixel centres, clamped).
        let image = HeatmapOverlay.colorize([0, 1], width: 2, height: 1, outputWidth: 4, outputHeight: 1)
        for (x, t) in [(0, Float(0)), (1, 0.25), (2, 0.75), (3, 1)] {
            XCTAssertTrue(image[x, 0] == Colormap.jet.color(t), "x \(x)")
        }
    }

    func testBlendFormula() {
        let gray = GrayscaleImage(width: 2, height: 1, pixels: [100, 200])
        let colour = RGBImage(width: 2, height: 1, pixels: [255, 0, 10, 0, 0, 0])
        let blended = HeatmapOverlay.blend(gray, colour, alpha: 0.25)
        XCTAssertEqual(blended.pixels, [139, 75, 78, 150, 150, 150])   // 0.75·100 + 0.25·255 = 138.75 …
        XCTAssertEqual(HeatmapOverlay.blend(gray, colour, alpha: 0).pixels, [100, 100, 100, 200, 200, 200])
    }

    func testDrawBoxOutlinesAndClips() {
        var image = RGBImage(GrayscaleImage(width: 10, height: 8))
        image.drawBox(x: 2, y: 1, width: 5, height: 4, color: (255, 0, 0), lineWidth: 1)
        var marked: [(Int, Int)] = []
        for y in 0..<8 { for x in 0..<10 where image[x, y].0 == 255 { marked.append((x, y)) } }
        XCTAssertEqual(marked.count, 14)   // the perimeter of a 5 x 4 box
        XCTAssertTrue(marked.allSatisfy { (x, y) in (x == 2 || x == 6 || y == 1 || y == 4) && (2...6).contains(x) && (1...4).contains(y) })
        // Corner (-5, -5), far corner (6, 6): its 3-pixel band inside the image is x or y in 4...6.
        image.drawBox(x: -5, y: -5, width: 12, height: 12, color: (0, 255, 0), lineWidth: 3)
        image.drawBox(x: 50, y: 50, width: 8, height: 8, color: (0, 255, 0))
        XCTAssertTrue(image[5, 2] == (0, 255, 0))
        XCTAssertTrue(image[0, 0] == (0, 0, 0))
        XCTAssertTrue(image[7, 2] == (0, 0, 0))
    }

    func testWritePNGIsAtomicAndNamesTheFileOnFailure() throws {
        let directory = try SharedData.temporaryDirectory("imaging")
        defer { try? FileManager.default.removeItem(at: directory) }
        let gray = GrayscaleImage(width: 3, height: 2, pixels: [0, 50, 100, 150, 200, 250])
        let url = directory.appendingPathComponent("out.png")
        try gray.writePNG(to: url)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: url), gray)
        let rendered = HeatmapOverlay.render(gray, heatmap: [0, 1], width: 2, height: 1)
        try rendered.writePNG(to: url)
        XCTAssertEqual(try PNGCodec.decodeSamples(Data(contentsOf: url), name: "out.png").samples.map { UInt8($0) }, rendered.pixels)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.png"])
        XCTAssertImagingError(try gray.writePNG(to: directory.appendingPathComponent("missing/out.png")),
                              contains: ["missing/out.png", "cannot write"])
    }
}
