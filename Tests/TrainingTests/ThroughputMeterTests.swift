import XCTest
@testable import Training

/// Training's images/s: the warm-up batch's own rate until a later batch is timed, then the
/// rate of the later batches only — never 0 once a batch is done.
final class ThroughputMeterTests: XCTestCase {
    func testTheRateIsRightFromTheFirstBatch() {
        var meter = ThroughputMeter()
        XCTAssertEqual(meter.imagesPerSecond, 0, "no batch yet")
        XCTAssertFalse(meter.isWarm)
        meter.record(images: 16, seconds: 4)
        XCTAssertTrue(meter.isWarm)
        XCTAssertEqual(meter.imagesPerSecond, 4, "the first batch's own rate")
        meter.record(images: 16, seconds: 1)
        XCTAssertEqual(meter.imagesPerSecond, 16, "the warm-up batch (primitive creation) left out")
        meter.record(images: 8, seconds: 1)
        XCTAssertEqual(meter.imagesPerSecond, 12)
    }

    func testABatchTimedAtZeroSecondsIsNotInfiniteOrNaN() {
        var meter = ThroughputMeter()
        meter.record(images: 2, seconds: 0)
        XCTAssertTrue(meter.imagesPerSecond.isFinite)
        XCTAssertGreaterThan(meter.imagesPerSecond, 0)
    }
}
