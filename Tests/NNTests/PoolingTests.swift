import EngineTestSupport
import NN
import XCTest

final class PoolingTests: XCTestCase {
    struct Case { let shape: [Int]; let kernel, stride, padding: Int }
    let cases = [
        Case(shape: [2, 3, 7, 9], kernel: 3, stride: 2, padding: 1),
        Case(shape: [1, 16, 8, 8], kernel: 2, stride: 2, padding: 0),
        Case(shape: [3, 5, 11, 6], kernel: 3, stride: 1, padding: 1),
        Case(shape: [2, 20, 9, 9], kernel: 5, stride: 3, padding: 2),
    ]

    func testMaxAndAveragePoolingMatchReferenceTwins() throws {
        var random = TestRandom(51)
        for item in cases {
            let kinds: [(ReferencePooling.Kind, () throws -> Layer)] = [
                (.max, { try MaxPool2d(kernelSize: item.kernel, stride: item.stride, padding: item.padding) }),
                (.averageIncludingPadding, { try AvgPool2d(kernelSize: item.kernel, stride: item.stride, padding: item.padding) }),
                (.averageExcludingPadding, { try AvgPool2d(kernelSize: item.kernel, stride: item.stride, padding: item.padding,
                                                           countIncludesPadding: false) }),
            ]
            for (kind, make) in kinds {
                let layer = try make()
                let reference = ReferencePooling(inputShape: item.shape, kernel: item.kernel, stride: item.stride,
                                                 padding: item.padding, kind: kind)
                // Distinct values so the max is unique and finite differences are defined.
                let x = random.values(item.shape.reduce(1, *), -5, 5)
                let y = try layer.forward(Tensor(shape: item.shape, values: floats(x)))
                XCTAssertEqual(y.shape, reference.outputShape)
                assertClose(try doubles(y), reference.forward(x), tolerance: 1e-6, "\(kind) \(item.shape) forward")
                let dy = random.values(reference.outputShape.reduce(1, *))
                let dx = try layer.backward(Tensor(shape: y.shape, values: floats(dy)))
                let expected = reference.backward(x, gradientOutput: dy)
                assertClose(try doubles(dx), expected, tolerance: 1e-6, "\(kind) \(item.shape) backward")
                assertGradientMatchesFiniteDifferences(input: x, weights: dy, analytic: expected, tolerance: 1e-5,
                                                       "\(kind) \(item.shape)") { reference.forward($0) }
            }
        }
    }

    func testGlobalPoolingGivesPlainFeatures() throws {
        var random = TestRandom(52)
        for shape in [[2, 3, 5, 7], [3, 32, 4, 4], [1, 17, 1, 1]] {
            // Feed a blocked tensor, as inside a network.
            let plain = try Tensor(shape: shape, values: floats(random.values(shape.reduce(1, *))))
            let x = try doubles(plain)
            let blocked = try plain.reordered(to: Tensor.Layout.channelBlocked(shape))
            let dy = random.values(shape[0] * shape[1])
            for (kind, layer) in [(ReferencePooling.Kind.averageExcludingPadding, GlobalAveragePool2d() as Layer),
                                  (.max, GlobalMaxPool2d())] {
                let reference = ReferencePooling(inputShape: shape, kernel: shape[2], stride: 1, padding: 0, kind: kind,
                                                 kernelWidth: shape[3])
                let y = try layer.forward(blocked)
                XCTAssertEqual(y.shape, [shape[0], shape[1]])
                XCTAssertTrue(y.isPlain, "layout \(y.layoutName) shape \(y.shape)")
                assertClose(try doubles(y), reference.forward(x), tolerance: 1e-6, "global \(kind) \(shape)")
                let dx = try layer.backward(Tensor(shape: y.shape, values: floats(dy)))
                XCTAssertEqual(dx.shape, shape)
                assertClose(try doubles(dx), reference.backward(x, gradientOutput: dy), tolerance: 1e-6, "global \(kind) \(shape) dx")
            }
        }
    }

    func testLSEPoolingMatchesReferenceAndLimits() throws {
        var random = TestRandom(53)
        for (shape, r) in [([2, 3, 5, 5], 10.0), ([1, 20, 8, 8], 1.0), ([3, 4, 2, 3], 0.5)] {
            let layer = try LSEPool2d(r: Float(r))
            let reference = ReferenceLSEPooling(inputShape: shape, r: r)
            let plain = try Tensor(shape: shape, values: floats(random.values(shape.reduce(1, *), -3, 3)))
            let x = try doubles(plain)
            let y = try layer.forward(plain.reordered(to: Tensor.Layout.channelBlocked(shape, block: 8)))
            XCTAssertEqual(y.shape, [shape[0], shape[1]])
            assertClose(try doubles(y), reference.forward(x), tolerance: 1e-5, "LSE r=\(r) forward")
            let dy = random.values(shape[0] * shape[1])
            let dx = try layer.backward(Tensor(shape: y.shape, values: floats(dy)))
            let expected = reference.backward(x, gradientOutput: dy)
            assertClose(try doubles(dx), expected, tolerance: 1e-5, "LSE r=\(r) backward")
            assertGradientMatchesFiniteDifferences(input: x, weights: dy, analytic: expected, tolerance: 1e-5, "LSE r=\(r)") {
                reference.forward($0)
            }
        }
        // Large values stay finite (the stable form), and r → ∞ approaches max, r → 0 the mean.
        let big = try Tensor(shape: [1, 1, 2, 2], values: [1000, 999, 998, -1000])
        XCTAssertEqual(try LSEPool2d(r: 1000).forward(big).toArray()[0], 1000 - log(4) / 1000, accuracy: 1e-3)
        XCTAssertEqual(try LSEPool2d(r: 1e-4).forward(Tensor(shape: [1, 1, 1, 3], values: [1, 2, 6])).toArray()[0], 3, accuracy: 1e-2)
        XCTAssertThrowsError(try LSEPool2d(r: 0))
    }

    func testWrongShapesAreErrors() throws {
        XCTAssertThrowsError(try MaxPool2d(kernelSize: 3, stride: 2, padding: 1).forward(Tensor(zeros: [2, 3, 4])))
        XCTAssertThrowsError(try MaxPool2d(kernelSize: 5).forward(Tensor(zeros: [1, 1, 3, 3])))
        XCTAssertThrowsError(try MaxPool2d(kernelSize: 2, padding: 2))
        XCTAssertThrowsError(try GlobalAveragePool2d().forward(Tensor(zeros: [2, 3])))
        XCTAssertThrowsError(try LSEPool2d(r: 10).backward(Tensor(zeros: [2, 3])))
        let pool = try AvgPool2d(kernelSize: 2)
        _ = try pool.forward(Tensor(zeros: [1, 2, 4, 4]))
        XCTAssertThrowsError(try pool.backward(Tensor(zeros: [1, 2, 3, 2])))
    }
}
