import XCTest
@testable import Evaluation

final class BoundingBoxTests: XCTestCase {
    func testOverlapOfTwoShiftedSquares() {
        let truth = BoundingBox(x: 0, y: 0, width: 10, height: 10)
        let detected = BoundingBox(x: 5, y: 5, width: 10, height: 10)
        // Overlap 5 × 5 = 25; union 100 + 100 − 25 = 175; detected area 100.
        XCTAssertEqual(truth.intersectionArea(with: detected), 25)
        XCTAssertEqual(truth.intersectionOverUnion(with: detected), 25.0 / 175.0, accuracy: 1e-15)
        XCTAssertEqual(truth.intersectionOverDetectedBox(detected), 0.25, accuracy: 1e-15)
    }

    func testDetectionInsideTheTruthHasFullIoBBButSmallIoU() {
        let truth = BoundingBox(x: 0, y: 0, width: 100, height: 100)
        let detected = BoundingBox(x: 10, y: 10, width: 20, height: 20)
        XCTAssertEqual(truth.intersectionOverUnion(with: detected), 0.04, accuracy: 1e-15)
        XCTAssertEqual(truth.intersectionOverDetectedBox(detected), 1)
        // The other way round the detection covers the truth: IoBB is the truth's share of it.
        XCTAssertEqual(detected.intersectionOverDetectedBox(truth), 0.04, accuracy: 1e-15)
    }

    func testIoBBOfARealNIHBoxAgainstAnOffsetDetection() {
        // 00013118_008.png, Atelectasis, from BBox_List_2017.csv.
        let truth = BoundingBox(x: 225.084745762712, y: 547.019216763771, width: 86.7796610169491, height: 79.1864406779661)
        let detected = BoundingBox(x: 250, y: 560, width: 100, height: 100)
        let overlapWidth = 225.084745762712 + 86.7796610169491 - 250
        let overlapHeight = 547.019216763771 + 79.1864406779661 - 560
        let intersection = overlapWidth * overlapHeight
        XCTAssertEqual(truth.intersectionOverDetectedBox(detected), intersection / 10_000, accuracy: 1e-12)
        XCTAssertEqual(truth.intersectionOverUnion(with: detected),
                       intersection / (86.7796610169491 * 79.1864406779661 + 10_000 - intersection), accuracy: 1e-12)
    }

    func testIdenticalDisjointTouchingAndEmptyBoxes() {
        let box = BoundingBox(x: 3, y: 4, width: 5, height: 6)
        XCTAssertEqual(box.intersectionOverUnion(with: box), 1)
        XCTAssertEqual(box.intersectionOverDetectedBox(box), 1)
        let far = BoundingBox(x: 100, y: 100, width: 5, height: 5)
        XCTAssertEqual(box.intersectionOverUnion(with: far), 0)
        let touching = BoundingBox(x: 8, y: 4, width: 5, height: 6)
        XCTAssertEqual(box.intersectionArea(with: touching), 0)
        let empty = BoundingBox(x: 4, y: 5, width: 0, height: 3)
        XCTAssertEqual(box.intersectionOverDetectedBox(empty), 0)
        XCTAssertEqual(empty.intersectionOverUnion(with: empty), 0)
        XCTAssertEqual(BoundingBox(x: 0, y: 0, width: -2, height: 3).area, 0)
    }

    func testScalingMapsAHeatmapBoxToTheFrame() {
        let box = BoundingBox(x: 1, y: 2, width: 3, height: 1).scaled(x: 128, y: 64)
        XCTAssertEqual(box, BoundingBox(x: 128, y: 128, width: 384, height: 64))
    }
}
