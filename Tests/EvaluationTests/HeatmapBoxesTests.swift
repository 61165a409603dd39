import Random
import XCTest
@testable import Evaluation

final class HeatmapBoxesTests: XCTestCase {
    func testBilinearResizeMatchesPyTorch() throws {
        let reference = try ReferenceFixture.load().bilinear
        let heatmap = try Heatmap(width: reference.width, height: reference.height, values: reference.values)
        for output in reference.outputs {
            let resized = heatmap.resizedBilinear(width: output.width, height: output.height)
            XCTAssertEqual(resized.width, output.width)
            XCTAssertEqual(resized.height, output.height)
            for (value, expected) in zip(resized.values, output.values) {
                XCTAssertEqual(value, expected, accuracy: 1e-5, "\(output.width)×\(output.height)")
            }
        }
    }

    func testConnectedRegionsMatchScipy() throws {
        for reference in try ReferenceFixture.load().components {
            let regions = connectedRegions(mask: reference.mask.map { $0 != 0 }, width: reference.width, height: reference.height)
            XCTAssertEqual(regions.count, reference.regions.count, reference.name)
            for (region, expected) in zip(regions, reference.regions) {
                XCTAssertEqual(region, ConnectedRegion(minX: expected.minX, minY: expected.minY, maxX: expected.maxX,
                                                       maxY: expected.maxY, pixelCount: expected.pixelCount), reference.name)
            }
        }
    }

    func testConnectedRegionsMatchTheirPlainTwinOnRandomMasks() {
        var generator = SplitMix64(seed: 11)
        for (width, height, density) in [(1, 1, 5), (1, 37, 5), (53, 1, 5), (64, 48, 3), (64, 48, 5), (97, 31, 7), (40, 40, 9)] {
            let mask = (0..<(width * height)).map { _ in generator.below(10) < density }
            XCTAssertEqual(connectedRegions(mask: mask, width: width, height: height),
                           connectedRegionsReference(mask: mask, width: width, height: height),
                           "\(width)×\(height) at \(density)0%")
        }
    }

    func testDiagonalPixelsAreOneRegion() {
        // 1 0 0 0
        // 0 1 0 1
        // 0 0 1 0
        let mask: [Bool] = [true, false, false, false,
                            false, true, false, true,
                            false, false, true, false]
        let regions = connectedRegions(mask: mask, width: 4, height: 3)
        XCTAssertEqual(regions, [ConnectedRegion(minX: 0, minY: 0, maxX: 3, maxY: 2, pixelCount: 4)])
        XCTAssertEqual(regions[0].boundingBox, BoundingBox(x: 0, y: 0, width: 4, height: 3))
    }

    func testNormalizationStretchesToByteRangeAndFlattensConstantMaps() throws {
        let map = try Heatmap(width: 3, height: 1, values: [-1, 0, 3]).normalizedToByteRange()
        XCTAssertEqual(map.values, [0, 63.75, 255])
        let constant = try Heatmap(width: 2, height: 2, values: [4, 4, 4, 4]).normalizedToByteRange()
        XCTAssertEqual(constant.values, [0, 0, 0, 0])
    }

    func testMaskIncludesTheThresholdItself() throws {
        let map = try Heatmap(width: 4, height: 1, values: [0, 59.99, 60, 255])
        XCTAssertEqual(map.mask(atLeast: 60), [false, false, true, true])
    }

    func testHeatmapRefusesBadShapesAndValues() {
        XCTAssertThrowsError(try Heatmap(width: 2, height: 2, values: [1, 2, 3]))
        XCTAssertThrowsError(try Heatmap(width: 0, height: 2, values: []))
        XCTAssertThrowsError(try Heatmap(width: 2, height: 1, values: [1, .infinity]))
    }

    /// Two blocks of heat: the dim one passes only threshold 60, the bright one both; the bright
    /// block's two identical rectangles are kept once; the larger region comes first.
    func testBoxesOfTwoBlocksAtBothThresholds() throws {
        var values = [Float](repeating: 0, count: 32 * 32)
        for y in 3...8 { for x in 2...9 { values[y * 32 + x] = 1 } }       // 48 pixels, 255
        for y in 20...29 { for x in 20...27 { values[y * 32 + x] = 0.5 } } // 80 pixels, 127.5
        let extraction = BoxExtraction(frameWidth: 32, frameHeight: 32)
        let boxes = extraction.boxes(in: try Heatmap(width: 32, height: 32, values: values))
        XCTAssertEqual(boxes, [
            DetectedBox(box: BoundingBox(x: 20, y: 20, width: 8, height: 10), threshold: 60, pixelCount: 80),
            DetectedBox(box: BoundingBox(x: 2, y: 3, width: 8, height: 6), threshold: 60, pixelCount: 48),
        ])
    }

    /// Four separate hot blocks: both thresholds see the same four regions, each rectangle is
    /// kept once, and only the three largest survive.
    func testAtMostThreeBoxesLargestFirst() throws {
        var values = [Float](repeating: 0, count: 40 * 10)
        let blocks = [(x: 0, width: 9), (x: 11, width: 7), (x: 20, width: 5), (x: 27, width: 3)]
        for block in blocks { for y in 0..<10 { for x in block.x..<(block.x + block.width) { values[y * 40 + x] = 1 } } }
        let boxes = BoxExtraction(frameWidth: 40, frameHeight: 10)
            .boxes(in: try Heatmap(width: 40, height: 10, values: values))
        XCTAssertEqual(boxes.map(\.box), [
            BoundingBox(x: 0, y: 0, width: 9, height: 10),
            BoundingBox(x: 11, y: 0, width: 7, height: 10),
            BoundingBox(x: 20, y: 0, width: 5, height: 10),
        ])
        XCTAssertEqual(boxes.map(\.pixelCount), [90, 70, 50])
    }

    func testConstantHeatmapHasNoBox() throws {
        let boxes = BoxExtraction(frameWidth: 16, frameHeight: 16)
            .boxes(in: try Heatmap(width: 4, height: 4, values: [Float](repeating: 0.3, count: 16)))
        XCTAssertEqual(boxes, [])
    }

    /// A 2×2 CAM hot in its top-left cell, resized to an 8×8 frame. With half-pixel centres each
    /// axis weighs the hot cell by f = [1, 1, 7/8, 5/8, 3/8, 1/8, 0, 0], so the normalized map is
    /// 255·f(x)·f(y). At 180 (f·f ≥ 0.706): x, y ≤ 2, a 3×3 square. At 60 (f·f ≥ 0.235): rows
    /// 0–2 reach x = 4, row 3 x = 3 (5/8·3/8 = 0.234 falls short), row 4 x = 2: 22 pixels.
    func testSmallCAMIsResizedToTheFrameBeforeThresholding() throws {
        let boxes = BoxExtraction(frameWidth: 8, frameHeight: 8)
            .boxes(in: try Heatmap(width: 2, height: 2, values: [1, 0, 0, 0]))
        XCTAssertEqual(boxes, [
            DetectedBox(box: BoundingBox(x: 0, y: 0, width: 5, height: 5), threshold: 60, pixelCount: 22),
            DetectedBox(box: BoundingBox(x: 0, y: 0, width: 3, height: 3), threshold: 180, pixelCount: 9),
        ])
    }

    /// An 8×8 CAM with one hot cell: its boxes in the 1024 frame surround the cell's centre
    /// (cell size 128) and stay within its neighbouring cells.
    func testCAMCellMapsToThe1024Frame() throws {
        var values = [Float](repeating: 0, count: 64)
        values[2 * 8 + 5] = 1  // column 5, row 2
        let boxes = BoxExtraction().boxes(in: try Heatmap(width: 8, height: 8, values: values))
        XCTAssertFalse(boxes.isEmpty)
        XCTAssertLessThanOrEqual(boxes.count, 3)
        for detected in boxes.map(\.box) {
            XCTAssertLessThan(detected.x, 704)
            XCTAssertGreaterThan(detected.x + detected.width, 704)
            XCTAssertLessThan(detected.y, 320)
            XCTAssertGreaterThan(detected.y + detected.height, 320)
            XCTAssertGreaterThanOrEqual(detected.x, 512)
            XCTAssertLessThanOrEqual(detected.x + detected.width, 896)
            XCTAssertGreaterThanOrEqual(detected.y, 128)
            XCTAssertLessThanOrEqual(detected.y + detected.height, 512)
        }
    }
}
