import Foundation
import Models
import NN
import SafeTensors
import Tensor
import TestSupport
import XCTest

/// Tiny models with torchvision's topology against PyTorch: outputs in eval and train mode,
/// every gradient, and the running statistics after a training-mode pass. Fixtures made by
/// scripts/golden/make-fixtures.py (weights and golden values in Fixtures/).
final class GoldenModelTests: XCTestCase {
    static func fixture(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: SafeTensorsTests.fixtures.appendingPathComponent(name))
    }

    /// max|ours − torch| / max|torch|.
    static func relativeError(_ ours: [Float], _ theirs: [Float]) -> Float {
        precondition(ours.count == theirs.count)
        let scale = max(theirs.map(abs).max() ?? 0, 1e-20)
        return (zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0) / scale
    }

    /// Loads `<name>.weights`, then checks every golden tensor of `<name>.golden`, with the model
    /// running under `options` (and its fold and recording switched as each check needs).
    func checkGolden(_ name: String, model: Layer, options: EngineOptions = EngineOptions(), line: UInt = #line) throws {
        let weights = try Self.fixture(name + ".weights.safetensors")
        let golden = try Self.fixture(name + ".golden.safetensors")
        let input = try golden.tensor("input")
        let gradientOutput = try golden.tensor("grad_output")
        for mode in ["eval", "train"] {
            try Checkpoint.load(into: model, from: weights)
            model.setTraining(mode == "train")
            model.setOptions(options)
            model.zeroGradients()
            let expected = try golden.tensor("output." + mode)
            if mode == "eval" {
                // Inference as it runs by default: unrecorded, batch norms folded into the
                // convolutions, ReLUs and residual sums fused; and unfused; backward refused.
                for fused in [false, true] {
                    var inference = options
                    inference.foldsBatchNormInInference = fused
                    model.setOptions(inference)
                    let inferred = try model.forward(Tensor(shape: input.shape, values: input.values))
                    XCTAssertLessThanOrEqual(Self.relativeError(try inferred.toArray(), expected.values), 1e-4,
                                             "\(name) inference output (fused \(fused))", line: line)
                }
                XCTAssertThrowsError(try model.backward(Tensor(shape: gradientOutput.shape, values: gradientOutput.values)),
                                     "\(name): backward after unrecorded inference", line: line)
                model.zeroGradients()
                var recording = options
                recording.recordsGradientsInEvaluation = true
                model.setOptions(recording)
            }
            defer { model.setOptions(options) }
            let output = try model.forward(Tensor(shape: input.shape, values: input.values))
            XCTAssertEqual(output.shape, expected.shape, "\(name) \(mode) output shape", line: line)
            XCTAssertLessThanOrEqual(Self.relativeError(try output.toArray(), expected.values), 1e-4,
                                     "\(name) \(mode) output", line: line)
            let gradientInput = try model.backward(Tensor(shape: gradientOutput.shape, values: gradientOutput.values))
            XCTAssertLessThanOrEqual(Self.relativeError(try gradientInput.toArray(), try golden.tensor("grad.\(mode).input").values),
                                     1e-3, "\(name) \(mode) grad.input", line: line)
            var checked = 0
            for (parameterName, parameter) in model.namedParameters() {
                guard golden.entry("grad.\(mode).\(parameterName)") != nil else { continue }
                let error = Self.relativeError(try parameter.gradient.toArray(),
                                               try golden.tensor("grad.\(mode).\(parameterName)").values)
                // The golden values are float64 results; where PyTorch's own float32 result is
                // far from them (a BatchNorm weight gradient summing thousands of cancelling
                // terms), allow four times PyTorch's float32 error: of its contiguous path (batch-norm
                // sums in double, as `EngineOptions.batchNormAccumulatesInDouble`), or by default of the worse of
                // it and its channels_last path (batch-norm sums in float32, as oneDNN's).
                func recorded(_ key: String) throws -> Float {
                    try golden.entry(key) == nil ? 0 : golden.tensor(key).values[0]
                }
                let contiguousError = try recorded("f32error.grad.\(mode).\(parameterName)")
                let channelsLastError = try recorded("f32nhwcerror.grad.\(mode).\(parameterName)")
                let torchError = options.batchNormAccumulatesInDouble ? contiguousError : max(contiguousError, channelsLastError)
                XCTAssertLessThanOrEqual(error, max(1e-3, 4 * torchError), "\(name) \(mode) grad.\(parameterName)", line: line)
                checked += 1
            }
            if mode == "train" {
                XCTAssertEqual(checked, model.namedParameters().count, "\(name): every parameter's gradient checked", line: line)
                for (bufferName, buffer) in model.namedBuffers() {
                    let error = Self.relativeError(try buffer.toArray(), try golden.tensor("running_after." + bufferName).values)
                    XCTAssertLessThanOrEqual(error, 1e-4, "\(name) running statistics \(bufferName)", line: line)
                }
            }
        }
    }

    func testTinyResNetWithBasicBlocks() throws {
        try checkGolden("tiny-resnet-basic",
                        model: ResNet(depth: .resNet18, classCount: 5, width: 4, blockCounts: [2, 1, 1, 1]))
    }

    func testTinyResNetWithBottlenecks() throws {
        try checkGolden("tiny-resnet-bottleneck",
                        model: ResNet(depth: .resNet50, classCount: 5, width: 4, blockCounts: [1, 2, 1, 1]))
    }

    func testTinyDenseNet() throws {
        let configuration = DenseNet.Configuration(growthRate: 4, blockLayers: [2, 3, 2, 2], initialChannels: 8, bottleneckFactor: 2)
        try checkGolden("tiny-densenet", model: DenseNet(configuration: configuration, classCount: 5))
    }

    /// Batch norm with double sums (the exactness option): within 4× of PyTorch's contiguous float32.
    func testTinyDenseNetAndResNetWithDoubleBatchNormSums() throws {
        let options = EngineOptions(batchNormAccumulatesInDouble: true)
        let configuration = DenseNet.Configuration(growthRate: 4, blockLayers: [2, 3, 2, 2], initialChannels: 8, bottleneckFactor: 2)
        try checkGolden("tiny-densenet", model: DenseNet(configuration: configuration, classCount: 5), options: options)
        try checkGolden("tiny-resnet-bottleneck",
                        model: ResNet(depth: .resNet50, classCount: 5, width: 4, blockCounts: [1, 2, 1, 1]), options: options)
    }

    static func tinyHead(_ pooling: WeaklySupervisedModel.Pooling) throws -> WeaklySupervisedModel {
        try WeaklySupervisedModel(backbone: ResNet(depth: .resNet18, classCount: nil, width: 4, blockCounts: [1, 1, 1, 1]),
                                  classCount: 3, transitionChannels: 6, pooling: pooling)
    }

    func testWeaklySupervisedHeadWithLSEPooling() throws {
        try checkGolden("tiny-head-lse", model: Self.tinyHead(.logSumExp(r: 10)))
    }

    func testHeadPoolingsAndCAMHeatmaps() throws {
        let weights = try Self.fixture("tiny-head-lse.weights.safetensors")
        let golden = try Self.fixture("tiny-head-lse.golden.safetensors")
        let input = try golden.tensor("input")
        for (key, pooling) in [("avg", WeaklySupervisedModel.Pooling.average), ("max", .max), ("lse", .logSumExp(r: 10))] {
            let model = try Self.tinyHead(pooling)
            try Checkpoint.load(into: model, from: weights)
            model.setTraining(false)
            let output = try model.forward(Tensor(shape: input.shape, values: input.values))
            XCTAssertLessThanOrEqual(Self.relativeError(try output.toArray(), try golden.tensor("output.eval." + key).values),
                                     1e-4, "pooling \(key)")
            if key == "lse" {
                let heatmaps = try model.heatmaps()
                let expected = try golden.tensor("cam.eval")
                XCTAssertEqual(heatmaps.shape, expected.shape)
                XCTAssertLessThanOrEqual(Self.relativeError(try heatmaps.toArray(), expected.values), 1e-4, "CAM")
            }
        }
    }
}
