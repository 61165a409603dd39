import Foundation
import XCTest
@testable import Service

/// The batcher alone, with a function that records the batches it is given.
final class DynamicBatcherTests: XCTestCase {
    /// A log of batch sizes and of the threads that ran set-up and batches, written on the
    /// batcher's thread and read by the test.
    final class Batches: @unchecked Sendable {
        // @unchecked Sendable: `sizes` and `threads` are only touched with `lock` held.
        private let lock = NSLock()
        private var sizes: [Int] = []
        private var threads: [pthread_t] = []
        func append(_ size: Int) { lock.withLock { sizes.append(size); threads.append(pthread_self()) } }
        func setUpRan() { lock.withLock { threads.append(pthread_self()) } }
        var all: [Int] { lock.withLock { sizes } }
        /// Whether set-up and every batch ran on one thread.
        var oneThread: Bool { lock.withLock { threads.allSatisfy { pthread_equal($0, threads[0]) != 0 } } }
    }

    func startDoubling(_ options: BatchingOptions, batches: Batches, failOn: Int? = nil) async throws -> DynamicBatcher<Int, Int> {
        let batcher = DynamicBatcher<Int, Int>(name: "test", options: options)
        let onMainThread = try await batcher.start { () -> (Bool, ([Int]) throws -> [Int]) in
            batches.setUpRan()
            return (Thread.isMainThread, { items in
                batches.append(items.count)
                if let failOn, items.contains(failOn) { throw ServiceError.badRequest("item \(failOn)") }
                return items.map { $0 * 2 }
            })
        }
        XCTAssertFalse(onMainThread, "set-up runs on the batcher's own thread")
        return batcher
    }

    /// Ten items submitted together with a long delay: full batches of four run at once, the
    /// remaining two after the delay; each submitter gets its own item's output.
    func testItemsThatArriveTogetherFormFullBatches() async throws {
        let batches = Batches()
        let batcher = try await startDoubling(BatchingOptions(maximumBatchSize: 4, maximumQueueDelay: .milliseconds(300)), batches: batches)
        defer { batcher.stop() }
        let start = ContinuousClock.now
        let outputs = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for item in 0..<10 { group.addTask { (item, try await batcher.submit(item)) } }
            var outputs: [Int: Int] = [:]
            for try await (item, output) in group { outputs[item] = output }
            return outputs
        }
        XCTAssertEqual(outputs, Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, 2 * $0) }))
        XCTAssertEqual(batches.all.reduce(0, +), 10)
        XCTAssertTrue(batches.all.allSatisfy { $0 <= 4 }, "\(batches.all)")
        XCTAssertEqual(batches.all.filter { $0 == 4 }.count, 2, "\(batches.all)")
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(300), "the last two wait out the delay")
        XCTAssertTrue(batches.oneThread, "set-up and every batch ran on the batcher's one thread")
    }

    /// With no delay, a lone item runs at once, alone.
    func testALoneItemRunsWithoutWaitingWhenTheDelayIsZero() async throws {
        let batches = Batches()
        let batcher = try await startDoubling(BatchingOptions(maximumBatchSize: 8, maximumQueueDelay: .zero), batches: batches)
        defer { batcher.stop() }
        let output = try await batcher.submit(21)
        XCTAssertEqual(output, 42)
        XCTAssertEqual(batches.all, [1])
    }

    /// A batch that fails fails each of its items with the error; later batches still run.
    func testAFailingBatchFailsItsItemsOnly() async throws {
        let batches = Batches()
        let batcher = try await startDoubling(BatchingOptions(maximumBatchSize: 1, maximumQueueDelay: .zero), batches: batches, failOn: 3)
        defer { batcher.stop() }
        do {
            _ = try await batcher.submit(3)
            XCTFail("item 3 should fail")
        } catch let error as ServiceError {
            XCTAssertEqual(error.message, "item 3")
        }
        let output = try await batcher.submit(4)
        XCTAssertEqual(output, 8)
    }

    /// After stop, submissions are refused; a set-up that throws is reported by start.
    func testStopRefusesNewItemsAndSetUpErrorsReachTheCaller() async throws {
        let batcher = try await startDoubling(BatchingOptions(), batches: Batches())
        batcher.stop()
        do {
            _ = try await batcher.submit(1)
            XCTFail("a stopped batcher takes no items")
        } catch is BatcherStopped {}
        let broken = DynamicBatcher<Int, Int>(name: "broken", options: BatchingOptions())
        do {
            _ = try await broken.start { () throws -> (Int, ([Int]) throws -> [Int]) in throw ServiceError.notFound("no model") }
            XCTFail("set-up errors are thrown")
        } catch let error as ServiceError {
            XCTAssertEqual(error.message, "no model")
        }
    }
}
