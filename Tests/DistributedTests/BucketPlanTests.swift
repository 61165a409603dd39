import Distributed
import XCTest

final class BucketPlanTests: XCTestCase {
    /// Seven parameters in 16-float (64-byte) buckets: a bucket closes before the parameter that
    /// would overflow it, and a parameter over the cap gets a bucket of its own.
    func testParametersFillBucketsInOrderUpToTheCap() throws {
        let plan = try BucketPlan(parameterSizes: [5, 12, 3, 20, 7, 1, 9], bucketBytes: 64)
        XCTAssertEqual(plan.buckets, [0..<1, 1..<3, 3..<4, 4..<6, 6..<7])
        XCTAssertEqual(plan.bucketElements, [0..<5, 5..<20, 20..<40, 40..<48, 48..<57])
        XCTAssertEqual(plan.bucketOfParameter, [0, 1, 1, 2, 3, 3, 4])
        XCTAssertEqual(plan.parameterElements, [0..<5, 5..<17, 17..<20, 20..<40, 40..<47, 47..<48, 48..<57])
        XCTAssertEqual(plan.totalCount, 57)
    }

    func testAParameterThatFillsTheCapExactlyStaysInItsBucket() throws {
        let plan = try BucketPlan(parameterSizes: [10, 6, 1, 16, 16], bucketBytes: 64)
        XCTAssertEqual(plan.buckets, [0..<2, 2..<3, 3..<4, 4..<5])
        XCTAssertEqual(plan.bucketElements, [0..<16, 16..<17, 17..<33, 33..<49])
    }

    /// A bucket byte size that is not a multiple of 4 holds the whole floats that fit.
    func testCapacityIsWholeFloats() throws {
        let plan = try BucketPlan(parameterSizes: [2, 2, 1], bucketBytes: 19)
        XCTAssertEqual(plan.buckets, [0..<2, 2..<3])
    }

    /// ResNet-50-sized gradients under DDP's default 25 MiB (6,553,600 floats): small parameters
    /// share buckets with large ones, and every bucket but an oversized parameter's stays
    /// within the cap.
    func testDefaultCapIs25MiBAndNoBucketExceedsItUnlessOneParameterDoes() throws {
        XCTAssertEqual(BucketPlan.defaultBucketBytes, 26_214_400)
        let sizes = [2_049_000, 2048, 2048, 1_048_576, 2_359_296, 2_359_296, 2_359_296, 512, 512, 1_048_576, 7_000_000, 64]
        let plan = try BucketPlan(parameterSizes: sizes)
        let capacity = 6_553_600
        XCTAssertEqual(plan.buckets, [0..<5, 5..<10, 10..<11, 11..<12])
        for (bucket, elements) in plan.bucketElements.enumerated() where plan.buckets[bucket].count > 1 {
            XCTAssertLessThanOrEqual(elements.count, capacity, "bucket \(bucket)")
        }
        XCTAssertEqual(plan.totalCount, sizes.reduce(0, +))
    }

    /// For many size lists and caps: parameters are laid out back to back, in order, each in the
    /// bucket whose elements contain it, and the buckets tile the flat buffer.
    func testEveryPlanTilesTheFlatBuffer() throws {
        var state: UInt64 = 12345
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        for _ in 0..<200 {
            let sizes = (0..<(1 + next(30))).map { _ in 1 + next(50) }
            let bucketBytes = 4 + next(400)
            let plan = try BucketPlan(parameterSizes: sizes, bucketBytes: bucketBytes)
            var offset = 0
            for (parameter, size) in sizes.enumerated() {
                XCTAssertEqual(plan.parameterElements[parameter], offset..<offset + size)
                let bucket = plan.bucketOfParameter[parameter]
                XCTAssertTrue(plan.buckets[bucket].contains(parameter))
                XCTAssertTrue(plan.bucketElements[bucket].contains(offset))
                XCTAssertEqual(plan.bucketElements[bucket].clamped(to: offset..<offset + size).count, size)
                offset += size
            }
            XCTAssertEqual(plan.bucketElements.first?.lowerBound, 0)
            for (earlier, later) in zip(plan.bucketElements, plan.bucketElements.dropFirst()) {
                XCTAssertEqual(earlier.upperBound, later.lowerBound)
            }
            for (earlier, later) in zip(plan.buckets, plan.buckets.dropFirst()) {
                XCTAssertEqual(earlier.upperBound, later.lowerBound)
                // Closed only because the next parameter would not fit.
                XCTAssertGreaterThan(plan.bucketElements[plan.bucketOfParameter[earlier.lowerBound]].count + sizes[later.lowerBound],
                                     bucketBytes / 4)
            }
            XCTAssertEqual(plan.totalCount, sizes.reduce(0, +))
        }
    }

    func testNoParametersMakeNoBuckets() throws {
        let plan = try BucketPlan(parameterSizes: [])
        XCTAssertEqual(plan.buckets, [])
        XCTAssertEqual(plan.totalCount, 0)
    }

    func testAnEmptyParameterIsNamed() {
        XCTAssertThrowsError(try BucketPlan(parameterSizes: [3, 0, 2])) { error in
            XCTAssertEqual("\(error)", "BucketPlan failed: parameter 1 has 0 elements; every parameter needs at least 1")
        }
    }

    func testABucketSmallerThanAFloatIsRefused() {
        XCTAssertThrowsError(try BucketPlan(parameterSizes: [1], bucketBytes: 3)) { error in
            XCTAssertEqual("\(error)", "BucketPlan failed: bucket size is 3 bytes; it must hold at least one float (4 bytes)")
        }
    }
}
