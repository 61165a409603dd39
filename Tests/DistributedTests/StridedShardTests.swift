import Distributed
import XCTest

final class StridedShardTests: XCTestCase {
    func testRanksTakeEveryNthSampleFromTheirOwnOffset() throws {
        let batch = Array(100..<110)
        let shares = try (0..<4).map { try StridedShard(rank: $0, size: 4).share(of: batch) }
        XCTAssertEqual(shares, [[100, 104, 108], [101, 105, 109], [102, 106], [103, 107]])
    }

    /// For every batch size and rank count: the shares are disjoint, their union is the batch,
    /// each keeps batch order, and `count(inBatchOf:)` is each share's length.
    func testSharesPartitionTheGlobalBatch() throws {
        for size in 1...6 {
            for count in 0...25 {
                let batch = (0..<count).map { $0 * 7 + 3 }
                var seen: [Int] = []
                for rank in 0..<size {
                    let shard = try StridedShard(rank: rank, size: size)
                    let share = shard.share(of: batch)
                    XCTAssertEqual(share.count, shard.count(inBatchOf: count), "rank \(rank) of \(size), batch \(count)")
                    XCTAssertEqual(share, share.sorted(), "batch order")
                    XCTAssertEqual(Array(shard.positions(inBatchOf: count)).map { batch[$0] }, share)
                    seen += share
                }
                XCTAssertEqual(seen.count, count, "disjoint, \(size) ranks, batch \(count)")
                XCTAssertEqual(seen.sorted(), batch, "union is the batch, \(size) ranks, batch \(count)")
            }
        }
    }

    func testUnevenSharesDifferByAtMostOne() throws {
        let counts = try (0..<4).map { try StridedShard(rank: $0, size: 4).count(inBatchOf: 10) }
        XCTAssertEqual(counts, [3, 3, 2, 2])
        XCTAssertEqual(try StridedShard(rank: 3, size: 4).count(inBatchOf: 3), 0)
    }

    func testInvalidRankOrSizeIsNamed() {
        XCTAssertThrowsError(try StridedShard(rank: 2, size: 2)) { error in
            XCTAssertEqual("\(error)", "StridedShard failed: rank 2 is outside 0..<2")
        }
        XCTAssertThrowsError(try StridedShard(rank: -1, size: 2)) { error in
            XCTAssertEqual("\(error)", "StridedShard failed: rank -1 is outside 0..<2")
        }
        XCTAssertThrowsError(try StridedShard(rank: 0, size: 0)) { error in
            XCTAssertEqual("\(error)", "StridedShard failed: size is 0; it must be at least 1")
        }
    }
}
