import EngineTestSupport
import NN
import XCTest

final class ElementwiseTests: XCTestCase {
    // Reference twins: the definitions in double precision.
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    let functions: [(String, () -> Layer, (Double) -> Double, (Double) -> Double)] = [
        ("ReLU", { ReLU() }, { max(0, $0) }, { $0 > 0 ? 1 : 0 }),
        ("ReLU6", { ReLU6() }, { min(max(0, $0), 6) }, { $0 > 0 && $0 < 6 ? 1 : 0 }),
        ("Sigmoid", { Sigmoid() }, { sigmoid($0) }, { sigmoid($0) * (1 - sigmoid($0)) }),
    ]

    func testForwardAndBackwardMatchReferenceTwins() throws {
        var random = TestRandom(31)
        for (name, make, function, derivative) in functions {
            for shape in [[2, 3, 5, 7], [3, 32, 3, 3], [4, 11]] {
                let layer = make()
                // Keep values away from the kinks at 0 and 6 so the derivative is defined.
                let x = random.values(shape.reduce(1, *), -8, 8).map { abs($0) < 1e-3 || abs($0 - 6) < 1e-3 ? $0 + 0.01 : $0 }
                let input = try Tensor(shape: shape, values: floats(x))
                let y = try layer.forward(input)
                assertClose(try doubles(y), x.map(function), tolerance: 1e-6, "\(name) \(shape) forward")
                let dy = random.values(x.count)
                let dx = try layer.backward(Tensor(shape: shape, values: floats(dy)))
                assertClose(try doubles(dx), zip(x, dy).map { derivative($0) * $1 }, tolerance: 1e-6, "\(name) \(shape) backward")
                assertGradientMatchesFiniteDifferences(input: x, weights: dy, analytic: zip(x, dy).map { derivative($0) * $1 },
                                                       tolerance: 1e-5, "\(name) derivative") { $0.map(function) }
            }
        }
    }

    func testBlockedLayoutIsKept() throws {
        let conv = try Conv2d(inputChannels: 3, outputChannels: 16, kernelSize: 3, padding: 1)
        let blocked = try conv.forward(Tensor(zeros: [1, 3, 6, 6]))
        let y = try ReLU().forward(blocked)
        XCTAssertEqual(y.layoutName, blocked.layoutName)
    }

    func testBackwardBeforeForwardIsAnError() {
        XCTAssertThrowsError(try ReLU().backward(Tensor(zeros: [1, 2])))
    }
}
