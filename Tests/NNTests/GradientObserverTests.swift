import Foundation
import EngineTestSupport
import NN
import XCTest

/// `GradientObserver`: every trainable parameter of convolutions (whose weight gradients run on
/// the overlapped backward's worker), batch norms and linear layers is reported once per
/// backward, after its gradient is complete; frozen parameters are not reported.
final class GradientObserverTests: XCTestCase {
    private var savedThreadCount = 1

    override func setUp() {
        savedThreadCount = Context.threadCount
        try? Context.setThreadCount(2)
    }

    override func tearDown() {
        try? Context.setThreadCount(savedThreadCount)
    }

    func testEveryTrainableParameterIsReportedOnceWithItsFinalGradient() throws {
        let frozen = try BatchNorm2d(featureCount: 8)
        frozen.bias.isTrainable = false
        let model = Sequential([
            try Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 3, padding: 1, bias: false, seed: 1),
            try BatchNorm2d(featureCount: 8, fusesReLU: true),
            try Conv2d(inputChannels: 8, outputChannels: 8, kernelSize: 3, padding: 1, seed: 2), frozen, ReLU(),
            try Conv2d(inputChannels: 8, outputChannels: 8, kernelSize: 3, padding: 1, seed: 3),
            try Conv2d(inputChannels: 8, outputChannels: 8, kernelSize: 3, stride: 2, padding: 1, seed: 4),
            try Conv2d(inputChannels: 8, outputChannels: 8, kernelSize: 1, seed: 5),
            try Conv2d(inputChannels: 8, outputChannels: 4, kernelSize: 1, seed: 6),
            GlobalAveragePool2d(), try Linear(inputFeatures: 4, outputFeatures: 3, seed: 7),
        ])
        let observer = RecordingObserver()
        let parameters = model.namedParameters()
        for (_, parameter) in parameters { parameter.gradientObserver = observer }
        var random = TestRandom(71)
        let input = try Tensor(shape: [2, 3, 9, 9], values: floats(random.values(2 * 3 * 81)))
        for pass in 0 ..< 2 {
            observer.reset()
            let output = try model.forward(input)
            _ = try OverlappedBackward.run { try model.backward(Tensor(shape: output.shape, values: floats(random.values(6)))) }
            for (name, parameter) in parameters {
                let reports = observer.reports.filter { $0.parameter === parameter }
                if parameter.isTrainable {
                    XCTAssertEqual(reports.count, 1, "pass \(pass): \(name) reported \(reports.count) times")
                    XCTAssertEqual(reports.first?.gradient, try parameter.gradient.toArray(),
                                   "pass \(pass): \(name) was reported before its gradient was complete")
                } else {
                    XCTAssertTrue(reports.isEmpty, "pass \(pass): frozen \(name) was reported")
                }
            }
        }
    }
}

/// Records each report with a copy of the gradient as it was then (from any thread).
// @unchecked Sendable: `reports` is touched only under `lock`.
private final class RecordingObserver: GradientObserver, @unchecked Sendable {
    struct Report {
        let parameter: Parameter
        let gradient: [Float]
    }
    private let lock = NSLock()
    private var recorded: [Report] = []

    var reports: [Report] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func reset() {
        lock.lock()
        recorded = []
        lock.unlock()
    }

    func gradientComputed(_ parameter: Parameter) throws {
        let gradient = try parameter.gradient.toArray()
        lock.lock()
        recorded.append(Report(parameter: parameter, gradient: gradient))
        lock.unlock()
    }
}
