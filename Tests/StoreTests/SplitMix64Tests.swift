import Random
import XCTest
@testable import Store

final class SplitMix64Tests: XCTestCase {
    /// First outputs for seed 0 from the reference C implementation (Vigna, splitmix64.c),
    /// recomputed with Python's arbitrary-precision integers.
    func testMatchesReferenceSequence() {
        var generator = SplitMix64(seed: 0)
        XCTAssertEqual(generator.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(generator.next(), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(generator.next(), 0x06C4_5D18_8009_454F)
    }

    func testBelowStaysInRangeAndCoversIt() {
        var generator = SplitMix64(seed: 42)
        var seen = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 { seen[generator.below(7)] += 1 }
        for count in seen { XCTAssertEqual(Double(count), 1000, accuracy: 150) }
    }

    func testShuffleIsAPermutationAndDependsOnTheSeed() {
        var a = Array(0..<100), b = Array(0..<100), c = Array(0..<100)
        var first = SplitMix64(seed: 9), second = SplitMix64(seed: 9), third = SplitMix64(seed: 10)
        first.shuffle(&a)
        second.shuffle(&b)
        third.shuffle(&c)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a.sorted(), Array(0..<100))
        XCTAssertNotEqual(a, Array(0..<100))
    }
}
