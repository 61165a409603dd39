// Helpers the engine's test targets share (TensorTests, NNTests): seeded data, comparisons, finite
// differences, and the reference twins of the fast kernels.
import Tensor
import XCTest

/// A seeded generator for test data (SplitMix64), so failures repeat.
public struct TestRandom {
    private var state: UInt64
    public init(_ seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double = -1, _ high: Double = 1) -> Double {
        low + (high - low) * Double(next() >> 11) / Double(1 << 53)
    }
    public mutating func values(_ count: Int, _ low: Double = -1, _ high: Double = 1) -> [Double] {
        (0..<count).map { _ in uniform(low, high) }
    }
    public mutating func integer(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

public func floats(_ values: [Double]) -> [Float] { values.map(Float.init) }
public func doubles(_ tensor: Tensor) throws -> [Double] { try tensor.toArray().map(Double.init) }

/// Asserts max|actual − expected| ≤ tolerance · max(1, max|expected|).
public func assertClose(_ actual: [Double], _ expected: [Double], tolerance: Double, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): count", file: file, line: line)
    guard actual.count == expected.count else { return }
    let scale = max(1, expected.map(abs).max() ?? 0)
    var worst = 0.0, worstIndex = 0
    for index in actual.indices where abs(actual[index] - expected[index]) > worst {
        worst = abs(actual[index] - expected[index])
        worstIndex = index
    }
    XCTAssertLessThanOrEqual(worst / scale, tolerance,
                             "\(what): worst difference \(worst) at \(worstIndex) (\(actual[worstIndex]) vs \(expected[worstIndex]))",
                             file: file, line: line)
}

/// Central finite differences of the scalar loss L(x) = Σ weights · f(x) at up to `samples`
/// coordinates of `input`, compared with the analytic gradient. All in double precision.
public func assertGradientMatchesFiniteDifferences(input: [Double], weights: [Double], analytic: [Double],
                                            samples: Int = 40, step: Double = 1e-6, tolerance: Double = 1e-6,
                                            _ what: String, file: StaticString = #filePath, line: UInt = #line,
                                            function: ([Double]) -> [Double]) {
    XCTAssertEqual(analytic.count, input.count, "\(what): gradient count", file: file, line: line)
    func loss(_ x: [Double]) -> Double { zip(function(x), weights).reduce(0) { $0 + $1.0 * $1.1 } }
    let stride = max(1, input.count / samples)
    for index in Swift.stride(from: 0, to: input.count, by: stride) {
        var plus = input, minus = input
        plus[index] += step
        minus[index] -= step
        let numeric = (loss(plus) - loss(minus)) / (2 * step)
        let scale = max(1, abs(numeric))
        XCTAssertLessThanOrEqual(abs(numeric - analytic[index]) / scale, tolerance,
                                 "\(what): d/dx[\(index)] numeric \(numeric) analytic \(analytic[index])", file: file, line: line)
    }
}
