/// A seeded pseudo-random generator (SplitMix64, Steele, Lea & Flood 2014), so that bootstrap
/// intervals are reproducible from their seed.
///
/// Hand-written because the Swift standard library offers only an unseeded system generator.
/// SplitMix64 is tiny, passes BigCrush, and is plenty for drawing resampling indices.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates the generator; equal seeds give equal sequences on every platform.
    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform index in 0..<count (count > 0) by Lemire's multiply-high method; the bias is
    /// below count / 2⁶⁴, far under what a bootstrap can notice. Written out rather than
    /// `Int.random(in:using:)` so the sequence does not depend on the standard library's version.
    public mutating func nextIndex(below count: Int) -> Int {
        Int(UInt64(count).multipliedFullWidth(by: next()).high)
    }
}
