@testable import Tensor
import XCTest

/// Regression tests for oneDNN 2.6's binary add with a fused ReLU, which on a channel block other
/// than the kernel's vector width (nChw8c under AVX-512, nChw16c under AVX2) wrote wrong sums and
/// wrote past the end of its output, and in place over channel padding added twice. Both block
/// sizes are swept, so one of them mismatches the vector width on any x86-64 CPU.
final class ElementwiseAdditionTests: XCTestCase {
    private static let canary: Float = 12345.5
    private static let guardFloats = 256

    /// A tensor in `layout` whose buffer is followed by `guardFloats` canary values.
    private func guarded(_ layout: Tensor.Layout) throws -> (tensor: Tensor, base: Tensor) {
        let bytes = layout.byteCount
        let base = try Tensor(shape: [bytes / 4 + Self.guardFloats], repeating: Self.canary)
        memset(base.data, 0, bytes)
        return (try Tensor(leadingBytesOf: base, as: layout), base)
    }

    private func canaryIntact(_ base: Tensor, after layout: Tensor.Layout) -> Bool {
        let start = layout.byteCount / 4
        let values = base.data.assumingMemoryBound(to: Float.self)
        return (start..<(start + Self.guardFloats)).allSatisfy { values[$0] == Self.canary }
    }

    /// Values beyond the logical channels of a channel-blocked layout must stay zero.
    private func paddingIsZero(_ tensor: Tensor) -> Bool {
        guard let block = tensor.layout.channelBlock else { return true }
        let (n, c, hw) = (tensor.shape[0], tensor.shape[1], tensor.shape[2] * tensor.shape[3])
        let blocks = (c + block - 1) / block
        let values = tensor.data.assumingMemoryBound(to: Float.self)
        for image in 0..<n {
            for position in 0..<hw {
                for channel in c..<(blocks * block) {
                    let index = ((image * blocks + channel / block) * hw + position) * block + channel % block
                    if values[index] != 0 { return false }
                }
            }
        }
        return true
    }

    func testAdditionMatchesTwinOnEveryLayoutWithoutWritingPastItsOutput() throws {
        var failures: [String] = []
        let layouts: [(String, ([Int]) throws -> Tensor.Layout)] = [
            ("nchw", { try .plain($0) }), ("nChw8c", { try .channelBlocked($0, block: 8) }), ("nChw16c", { try .channelBlocked($0, block: 16) }),
        ]
        for (layoutName, makeLayout) in layouts {
            for channels in [1, 3, 4, 8, 12, 16, 20, 24, 32, 40, 48] {
                for (height, width) in [(1, 1), (5, 3), (7, 7)] {
                    let shape = [2, channels, height, width]
                    let count = shape.reduce(1, *)
                    let a = (0..<count).map { Float(($0 * 37) % 11) - 5 }
                    let b = (0..<count).map { Float(($0 * 13) % 5) * 0.5 - 0.75 }
                    let layout = try makeLayout(shape)
                    for appliesReLU in [false, true] {
                        for inPlace in [false, true] {
                            let addition = try ElementwiseAddition(layout: layout, appliesReLU: appliesReLU)
                            let (first, firstBase) = try guarded(layout)
                            try first.copy(from: Tensor(shape: shape, values: a))
                            let second = try Tensor(shape: shape, values: b).reordered(to: layout)
                            let (output, outputBase) = inPlace ? (first, firstBase) : try guarded(layout)
                            try addition.run(first, second, into: output)
                            let expected = zip(a, b).map { appliesReLU ? max(0, $0 + $1) : $0 + $1 }
                            let actual = try output.toArray()
                            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                            let what = "\(layoutName) \(shape) relu \(appliesReLU) in place \(inPlace) (fused \(addition.fusesReLU), vector width \(Context.vectorWidth))"
                            if worst > 1e-6 { failures.append("\(what): worst difference \(worst)") }
                            if !canaryIntact(outputBase, after: layout) { failures.append("\(what): wrote past the output") }
                            if !paddingIsZero(output) { failures.append("\(what): channel padding no longer zero") }
                        }
                    }
                }
            }
        }
        XCTAssertEqual(failures, [], "\(failures.count) failing cases, first: \(failures.prefix(5))")
    }

    func testReLUIsFusedWhereExactAndSeparateElsewhere() throws {
        enum Format { case plain, blocked8, blocked16, channelsLast }
        func fuses(_ format: Format, channels: Int, width: Int) throws -> Bool {
            let shape = [2, channels, 4, 4]
            let layout: Tensor.Layout
            switch format {
            case .plain: layout = try .plain(shape)
            case .blocked8: layout = try .channelBlocked(shape, block: 8)
            case .blocked16: layout = try .channelBlocked(shape, block: 16)
            case .channelsLast: layout = try .channelsLast(shape)
            }
            return ElementwiseAddition.fusesReLUExactly(layout, vectorWidth: width)
        }
        // The residual sums of ResNet and DenseNet: native block, whole vectors: fused (fast path).
        XCTAssertTrue(try fuses(.blocked16, channels: 64, width: 16))
        XCTAssertTrue(try fuses(.blocked8, channels: 64, width: 8))
        XCTAssertTrue(try fuses(.plain, channels: 3, width: 16))
        // Whole vectors in a foreign block are exact too.
        XCTAssertTrue(try fuses(.blocked8, channels: 32, width: 16))
        XCTAssertTrue(try fuses(.blocked16, channels: 32, width: 8))
        // Partial vectors or channel padding: separate ReLU.
        XCTAssertFalse(try fuses(.blocked8, channels: 8, width: 16))
        XCTAssertFalse(try fuses(.blocked8, channels: 24, width: 16))
        XCTAssertFalse(try fuses(.blocked16, channels: 20, width: 8))
        XCTAssertFalse(try fuses(.blocked16, channels: 4, width: 16))
        XCTAssertFalse(try fuses(.blocked8, channels: 4, width: 8))
        // Other blockings are never fused.
        XCTAssertFalse(try fuses(.channelsLast, channels: 16, width: 16))
        let addition = try ElementwiseAddition(layout: .channelBlocked([2, 16, 3, 3], block: 16), appliesReLU: true)
        XCTAssertThrowsError(try addition.run(Tensor(zeros: [2, 16, 3, 3]), Tensor(zeros: [2, 16, 3, 3]), into: Tensor(zeros: [2, 16, 3, 3])))
    }

    func testVectorWidthFollowsTheInstructionSet() {
        let isa = Context.instructionSet
        // scripts/test reads this line to name the instruction sets a run covered.
        print("oneDNN instruction set: \(isa), vector width \(Context.vectorWidth)")
        XCTAssertEqual(Context.vectorWidth, isa.hasPrefix("avx512") ? 16 : isa.hasPrefix("avx") ? 8 : 4, isa)
    }
}
