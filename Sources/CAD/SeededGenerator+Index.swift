import Imaging

extension SeededGenerator {
    /// A uniform index in 0..<count (count > 0) by Lemire's multiply-high method; the bias is
    /// below count / 2⁶⁴, far under what a bootstrap can notice. Written out rather than
    /// `Int.random(in:using:)` so that a seed gives the same resamples whatever the standard
    /// library's version.
    mutating func nextIndex(below count: Int) -> Int {
        Int(UInt64(count).multipliedFullWidth(by: next()).high)
    }
}
