@testable import Tensor
import XCTest

final class TensorTests: XCTestCase {
    func testValuesRoundTripThroughPlainTensor() throws {
        let values = (0..<24).map { Float($0) * 0.5 - 3 }
        let tensor = try Tensor(shape: [2, 3, 2, 2], values: values)
        XCTAssertTrue(tensor.isPlain)
        XCTAssertEqual(tensor.count, 24)
        XCTAssertEqual(try tensor.toArray(), values)
    }

    func testBlockedLayoutKeepsLogicalOrder() throws {
        // 3 channels padded to a 16-channel block: the logical values must survive both reorders.
        let values: [Float] = (0..<210).map { (index: Int) -> Float in Float((index * 37) % 101) }
        let plain = try Tensor(shape: [2, 3, 5, 7], values: values)
        let blocked = try plain.reordered(to: .channelBlocked([2, 3, 5, 7], block: 16))
        XCTAssertFalse(blocked.isPlain)
        XCTAssertGreaterThan(blocked.byteCount, plain.byteCount)
        // Element (n=1, c=2, h=4, w=6) sits at ((n·1 + 0)·5·7 + h·7 + w)·16 + c in nChw16c.
        let raw = blocked.data.assumingMemoryBound(to: Float.self)
        let blockedIndex: Int = ((1 * 5 + 4) * 7 + 6) * 16 + 2
        let plainIndex: Int = ((1 * 3 + 2) * 5 + 4) * 7 + 6
        XCTAssertEqual(raw[blockedIndex], values[plainIndex])
        XCTAssertEqual(try blocked.toArray(), values)
        let back = try Tensor(zeros: [2, 3, 5, 7])
        try back.copy(from: blocked)
        XCTAssertEqual(try back.toArray(), values)
    }

    /// Equal sub-memory descriptors can view bases of different sizes (the first two images of a
    /// batch of 4 and of a batch of 2 have the same strides): copying between such views moves the
    /// viewed values only, never the whole of the larger base (once a byte copy of the base's size).
    func testCopyBetweenPartViewsOfBasesOfDifferentSizesCopiesThePartOnly() throws {
        func firstTwoImages(of base: Tensor) throws -> Tensor {
            try Tensor(partOf: base, layout: base.layout.part(shape: [2, 2, 2, 2], offsets: [0, 0, 0, 0]))
        }
        let large = try Tensor(shape: [4, 2, 2, 2], values: (0..<32).map(Float.init))
        let small = try Tensor(zeros: [2, 2, 2, 2])
        let (largePart, smallPart) = (try firstTwoImages(of: large), try firstTwoImages(of: small))
        XCTAssertEqual(largePart.layout, smallPart.layout)
        try smallPart.copy(from: largePart)
        XCTAssertEqual(try small.toArray(), (0..<16).map(Float.init))
        try small.copy(from: Tensor(shape: [2, 2, 2, 2], repeating: -1))
        try largePart.copy(from: smallPart)
        XCTAssertEqual(try large.toArray(), Array(repeating: -1, count: 16) + (16..<32).map(Float.init))
    }

    func testWrongValueCountIsAnError() {
        XCTAssertThrowsError(try Tensor(shape: [2, 3], values: [1, 2, 3])) { error in
            XCTAssertEqual(error as? TensorError, .shapeMismatch("3 values given for a tensor of shape [2, 3] (6 elements)"))
        }
        XCTAssertThrowsError(try Tensor(zeros: [2, 0, 3]))
        XCTAssertThrowsError(try Tensor(zeros: []))
    }

    func testElementAccessNeedsPlainLayout() throws {
        let blocked = try Tensor(layout: .channelBlocked([1, 16, 2, 2], block: 16))
        XCTAssertThrowsError(try blocked.withUnsafeMutableBufferPointer { _ in })
    }

    func testAccumulatingReorderAddsIntoDestination() throws {
        let source = try Tensor(shape: [1, 4, 2, 2], values: (0..<16).map(Float.init))
        let blocked = try source.reordered(to: .channelBlocked([1, 4, 2, 2], block: 8))
        let target = try Tensor(shape: [1, 4, 2, 2], repeating: 1)
        let accumulate = try Reorder(from: blocked.layout, to: target.layout, accumulate: true)
        try accumulate.run(from: blocked, to: target)
        try accumulate.run(from: blocked, to: target)
        XCTAssertEqual(try target.toArray(), (0..<16).map { 1 + 2 * Float($0) })
    }

    func testThreadCountCanBeSet() throws {
        try Context.setThreadCount(1)
        XCTAssertEqual(Context.threadCount, 1)
        try Context.setThreadCount(nil)
        XCTAssertGreaterThanOrEqual(Context.threadCount, 1)
        XCTAssertThrowsError(try Context.setThreadCount(0))
        XCTAssertTrue(Context.oneDNNVersion.hasPrefix("2."))
    }

    /// `applyThreadCount` (what a model does with `EngineOptions.threads`): nil changes nothing,
    /// a count sets the calling thread's, a count below 1 is an error that changes nothing.
    func testApplyingAThreadCount() throws {
        let saved = Context.threadCount
        defer { try? Context.setThreadCount(saved) }
        try Context.setThreadCount(3)
        try Context.applyThreadCount(nil)
        XCTAssertEqual(Context.threadCount, 3)
        try Context.applyThreadCount(1)
        XCTAssertEqual(Context.threadCount, 1)
        try Context.applyThreadCount(1)
        XCTAssertEqual(Context.threadCount, 1)
        XCTAssertThrowsError(try Context.applyThreadCount(0))
        XCTAssertEqual(Context.threadCount, 1)
    }
}

final class BufferPoolTests: XCTestCase {
    func testLiveTensorsNeverShareBuffersAndReleasedOnesAreReused() throws {
        try XCTSkipIf(!BufferPool.shared.isEnabled,
                      "THORAX_BUFFER_POOL=0: buffers are not recycled")
        let layout = try Tensor.Layout.plain([3, 5, 7])
        var first: Tensor? = try Tensor(layout: layout, zeroed: false)
        let second = try Tensor(layout: layout, zeroed: false)
        XCTAssertNotEqual(first!.data, second.data, "two live tensors must own different buffers")
        let released = first!.data
        first = nil
        let third = try Tensor(layout: layout)
        XCTAssertEqual(third.data, released, "a released buffer of the same size is reused")
        XCTAssertTrue(try third.toArray().allSatisfy { $0 == 0 }, "zeroed: true clears a recycled buffer")
        // A view keeps its base alive: the base's buffer is not recycled while the view exists.
        var base: Tensor? = try Tensor(shape: [4, 6], values: (0..<24).map(Float.init))
        let view = try Tensor(viewing: base!, as: .plain([2, 2, 6]))
        base = nil
        let other = try Tensor(zeros: [4, 6])
        XCTAssertNotEqual(other.data, view.data)
        XCTAssertEqual(try view.toArray(), (0..<24).map(Float.init))
    }
}
