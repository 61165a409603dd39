import Evaluation
import Imaging
import Pipeline
import XCTest
@testable import Service

final class PredictionCacheTests: XCTestCase {
    func entry(pixels: Int) throws -> PredictionCache.Entry {
        let prediction = try Prediction(classNames: ["A"], thresholds: [0.5], probabilities: [0.7],
                                        heatmaps: [try Heatmap(width: 2, height: 2, values: [0, 1, 2, 3])])
        let image = GrayscaleImage(width: pixels, height: 1)
        return PredictionCache.Entry(model: "m", heatmaps: ImageHeatmaps(image: image, prediction: prediction), boxes: [:])
    }

    /// The least recently used entry goes first when the count bound is reached; reading an
    /// entry makes it recent.
    func testTheLeastRecentlyUsedIsEvictedFirst() async throws {
        let cache = PredictionCache(maximumEntries: 2, maximumBytes: 1 << 20)
        let first = try await XCTUnwrapAsync(await cache.store(try entry(pixels: 10)))
        let second = try await XCTUnwrapAsync(await cache.store(try entry(pixels: 10)))
        XCTAssertNotEqual(first, second)
        let held1 = await cache.holds(first)
        XCTAssertTrue(held1)
        let third = try await XCTUnwrapAsync(await cache.store(try entry(pixels: 10)))
        let held2 = await cache.holds(first)
        XCTAssertTrue(held2)
        let held3 = await cache.holds(second)
        XCTAssertFalse(held3, "the least recently used is gone")
        let held4 = await cache.holds(third)
        XCTAssertTrue(held4)
        let count = await cache.count
        XCTAssertEqual(count, 2)
    }

    /// The byte bound: 100 pixels + 16 bytes of heatmap per entry, 300 bytes allowed.
    func testTheByteBoundEvictsAndRefusesWhatCannotFit() async throws {
        let cache = PredictionCache(maximumEntries: 10, maximumBytes: 300)
        let first = try await XCTUnwrapAsync(await cache.store(try entry(pixels: 100)))
        _ = try await XCTUnwrapAsync(await cache.store(try entry(pixels: 100)))
        _ = try await XCTUnwrapAsync(await cache.store(try entry(pixels: 100)))
        let held5 = await cache.holds(first)
        XCTAssertFalse(held5)
        let count = await cache.count
        XCTAssertEqual(count, 2)
        let tooLarge = await cache.store(try entry(pixels: 400))
        XCTAssertNil(tooLarge)
        let afterRefusal = await cache.count
        XCTAssertEqual(afterRefusal, 2, "a refused entry evicts nothing")
    }

    func testBoxesAreRememberedPerClass() async throws {
        let cache = PredictionCache()
        let id = try await XCTUnwrapAsync(await cache.store(try entry(pixels: 4)))
        await cache.setBoxes([BoundingBox(x: 1, y: 2, width: 3, height: 4)], ofClass: 0, for: id)
        let boxes = await cache.entry(id)?.boxes[0]
        XCTAssertEqual(boxes, [BoundingBox(x: 1, y: 2, width: 3, height: 4)])
    }
}

extension PredictionCache {
    func holds(_ id: String) -> Bool { entry(id) != nil }
}

func XCTUnwrapAsync<T>(_ value: T?, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    try XCTUnwrap(value, file: file, line: line)
}
