import Foundation
import Models
import NN
import Random
import Tensor
import XCTest

/// `EngineOptions.threads`: a model sets oneDNN's thread count on whichever thread runs it, at
/// the start of forward and of backward, so it runs on its own count there; nil leaves the
/// thread's setting alone.
final class EngineThreadsTests: XCTestCase {
    /// Small versions of every backbone (as classifiers) and the paper's model on one.
    private func models() throws -> [(name: String, model: Layer)] {
        let denseNet = DenseNet.Configuration(growthRate: 4, blockLayers: [2, 2, 2, 2], initialChannels: 8, bottleneckFactor: 2)
        return [
            ("resnet", try ResNet(depth: .resNet18, classCount: 3, width: 4, blockCounts: [1, 1, 1, 1])),
            ("densenet", try DenseNet(configuration: denseNet, classCount: 3)),
            ("efficientnet", try EfficientNetLite0(configuration: EfficientNetGoldenTests.tiny, classCount: 3)),
            ("weakly supervised", try WeaklySupervisedModel(
                backbone: ResNet(depth: .resNet18, classCount: nil, width: 4, blockCounts: [1, 1, 1, 1]),
                classCount: 3, transitionChannels: 8, pooling: .logSumExp(r: 10))),
        ]
    }

    func testAModelRunsOnItsThreadCountOnAFreshThread() throws {
        for (name, model) in try models() {
            model.setOptions(EngineOptions(threads: 1))
            // The new thread is first set to 3, as something else running there might have.
            let seen = try runOnNewThread(model, settingFirst: 3)
            XCTAssertEqual(seen.before, 3, name)
            XCTAssertEqual(seen.afterForward, 1, "\(name): forward ran on the thread's 3, not the model's 1")
            XCTAssertEqual(seen.inBackward, 1, "\(name): backward's last layer ran on the thread's count")
            XCTAssertEqual(seen.afterBackward, 1, name)
        }
    }

    func testNoThreadCountLeavesTheThreadsSettingAlone() throws {
        for (name, model) in try models() {
            XCTAssertNil(EngineOptions().threads)
            model.setOptions(EngineOptions())
            let seen = try runOnNewThread(model, settingFirst: 3)
            XCTAssertEqual([seen.before, seen.afterForward, seen.inBackward, seen.afterBackward], [3, 3, 3, 3], name)
        }
    }

    func testACountBelowOneIsAnErrorOfTheModelsPass() throws {
        let (name, model) = try models()[0]
        model.setOptions(EngineOptions(threads: 0))
        XCTAssertThrowsError(try runOnNewThread(model, settingFirst: 3), name) { error in
            XCTAssertTrue("\(error)".contains("thread count must be at least 1, got 0"), "\(error)")
        }
    }

    /// What `Context.threadCount` said on a new thread: after setting it to `count`, after the
    /// model's forward, when the backward (the thread set to `count` again first) computed the
    /// gradient of the model's last parameter (the classifier's, the first backward reaches, on
    /// the calling thread), and after the backward.
    private struct Seen { var before: Int, afterForward: Int, inBackward: Int, afterBackward: Int }

    private func runOnNewThread(_ model: Layer, settingFirst count: Int) throws -> Seen {
        var random = SplitMix64(seed: 3)
        let values = (0 ..< 2 * 3 * 32 * 32).map { _ in random.uniform(-1...1) }
        let last = try XCTUnwrap(model.namedParameters().last?.parameter)
        let observer = CountObserver()
        last.gradientObserver = observer
        defer { last.gradientObserver = nil }
        // nonisolated(unsafe): only the new thread touches the model, and `outcome` until `done`
        // is signalled; this thread reads `outcome` after the wait.
        nonisolated(unsafe) let model = model
        nonisolated(unsafe) var outcome: Result<Seen, Error>?
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            outcome = Result {
                try Context.shared.useOwnStreamOnThisThread()
                try Context.setThreadCount(count)
                let before = Context.threadCount
                let output = try model.forward(Tensor(shape: [2, 3, 32, 32], values: values))
                let afterForward = Context.threadCount
                // Set back, so that backward must set the model's count itself (as when another
                // pass on this thread changed it in between).
                try Context.setThreadCount(count)
                _ = try model.backward(Tensor(shape: output.shape, repeating: 1))
                return Seen(before: before, afterForward: afterForward, inBackward: observer.count ?? -1,
                            afterBackward: Context.threadCount)
            }
            done.signal()
        }
        thread.start()
        XCTAssertEqual(done.wait(timeout: .now() + 300), .success, "the model's pass never finished")
        return try XCTUnwrap(outcome).get()
    }
}

/// Keeps the thread count of the thread that reported a gradient.
// @unchecked Sendable: written on the model's thread before that thread signals, read after the wait.
private final class CountObserver: GradientObserver, @unchecked Sendable {
    var count: Int?
    func gradientComputed(_ parameter: Parameter) throws { count = Context.threadCount }
}
