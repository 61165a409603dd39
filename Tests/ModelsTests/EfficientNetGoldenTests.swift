import Foundation
import Models
import NN
import SafeTensors
import Tensor
import TestSupport
import XCTest

/// A narrow EfficientNet-Lite0 (all 16 blocks, the package's width_coefficient 0.25) against
/// PyTorch's `efficientnet-lite-pytorch` in float64: outputs in eval and train mode, the input
/// gradient, every parameter gradient and the running statistics after a training-mode pass.
/// Fixture made by scripts/golden/make-efficientnet-fixture.py.
final class EfficientNetGoldenTests: XCTestCase {
    static let tiny = EfficientNetLite0.Configuration(stemChannels: 32, stages: [
        .init(repeats: 1, kernelSize: 3, stride: 1, expansion: 1, outputChannels: 8),
        .init(repeats: 2, kernelSize: 3, stride: 2, expansion: 6, outputChannels: 8),
        .init(repeats: 2, kernelSize: 5, stride: 2, expansion: 6, outputChannels: 16),
        .init(repeats: 3, kernelSize: 3, stride: 2, expansion: 6, outputChannels: 24),
        .init(repeats: 3, kernelSize: 5, stride: 1, expansion: 6, outputChannels: 32),
        .init(repeats: 4, kernelSize: 5, stride: 2, expansion: 6, outputChannels: 48),
        .init(repeats: 1, kernelSize: 3, stride: 1, expansion: 6, outputChannels: 80),
    ], headChannels: 1280)

    func testTinyEfficientNetLite0MatchesPyTorch() throws {
        let weights = try GoldenModelTests.fixture("tiny-efficientnet-lite0.weights.safetensors")
        let golden = try GoldenModelTests.fixture("tiny-efficientnet-lite0.golden.safetensors")
        let model = try EfficientNetLite0(configuration: Self.tiny, classCount: 5)
        let input = try golden.tensor("input")
        let gradientOutput = try golden.tensor("grad_output")
        for mode in ["eval", "train"] {
            try Checkpoint.load(into: model, from: weights)
            model.setTraining(mode == "train")
            model.zeroGradients()
            let expected = try golden.tensor("output." + mode)
            if mode == "eval" {
                // Unrecorded inference (the default in evaluation), with the batch norms folded into
                // the convolutions and without; then recorded for the gradients.
                for folded in [false, true] {
                    model.setOptions(EngineOptions(foldsBatchNormInInference: folded))
                    let inferred = try model.forward(Tensor(shape: input.shape, values: input.values))
                    XCTAssertLessThanOrEqual(GoldenModelTests.relativeError(try inferred.toArray(), expected.values), 1e-4,
                                             "inference output (folded \(folded))")
                }
                XCTAssertThrowsError(try model.backward(Tensor(shape: gradientOutput.shape, values: gradientOutput.values)),
                                     "backward after unrecorded inference")
                model.setOptions(EngineOptions(recordsGradientsInEvaluation: true))
            }
            defer { model.setOptions(EngineOptions()) }
            let output = try model.forward(Tensor(shape: input.shape, values: input.values))
            XCTAssertEqual(output.shape, expected.shape)
            XCTAssertLessThanOrEqual(GoldenModelTests.relativeError(try output.toArray(), expected.values), 1e-4, "\(mode) output")
            let gradientInput = try model.backward(Tensor(shape: gradientOutput.shape, values: gradientOutput.values))
            XCTAssertLessThanOrEqual(GoldenModelTests.relativeError(try gradientInput.toArray(),
                                                                    try golden.tensor("grad.\(mode).input").values),
                                     1e-3, "\(mode) grad.input")
            guard mode == "train" else { continue }
            for (name, parameter) in model.namedParameters() {
                let error = GoldenModelTests.relativeError(try parameter.gradient.toArray(),
                                                           try golden.tensor("grad.train.\(name)").values)
                let torchError = try golden.tensor("f32error.grad.train.\(name)").values[0]
                XCTAssertLessThanOrEqual(error, max(1e-3, 4 * torchError), "grad.\(name)")
            }
            XCTAssertEqual(model.namedParameters().count, golden.names.filter { $0.hasPrefix("grad.train.") && $0 != "grad.train.input" }.count,
                           "every parameter of the reference has a gradient here")
            for (name, buffer) in model.namedBuffers() {
                XCTAssertLessThanOrEqual(GoldenModelTests.relativeError(try buffer.toArray(),
                                                                        try golden.tensor("running_after." + name).values),
                                         1e-4, "running statistics \(name)")
            }
        }
    }

    /// An odd input side (33): symmetric "same" padding at stride 2, through the extra-row path.
    func testOddInputSizeMatchesPyTorch() throws {
        let weights = try GoldenModelTests.fixture("tiny-efficientnet-lite0.weights.safetensors")
        let golden = try GoldenModelTests.fixture("tiny-efficientnet-lite0.golden.safetensors")
        let model = try EfficientNetLite0(configuration: Self.tiny, classCount: 5)
        let input = try golden.tensor("odd.input")
        let gradientOutput = try golden.tensor("odd.grad_output")
        for mode in ["eval", "train"] {
            try Checkpoint.load(into: model, from: weights)
            model.setTraining(mode == "train")
            model.setOptions(EngineOptions(recordsGradientsInEvaluation: true))  // gradients in evaluation mode too
            defer { model.setOptions(EngineOptions()) }
            let output = try model.forward(Tensor(shape: input.shape, values: input.values))
            XCTAssertLessThanOrEqual(GoldenModelTests.relativeError(try output.toArray(), try golden.tensor("odd.output." + mode).values),
                                     1e-4, "\(mode) output")
            let gradientInput = try model.backward(Tensor(shape: gradientOutput.shape, values: gradientOutput.values))
            XCTAssertLessThanOrEqual(GoldenModelTests.relativeError(try gradientInput.toArray(),
                                                                    try golden.tensor("odd.grad.\(mode).input").values),
                                     1e-3, "\(mode) grad.input")
        }
    }

    /// TensorFlow's "same" padding, as the package computes it, on the sizes that matter.
    func testSamePaddingSplitsLikeTensorFlow() {
        XCTAssertTrue(SamePaddingConv2d.padding(size: 224, kernelSize: 3, stride: 2) == (0, 1))
        XCTAssertTrue(SamePaddingConv2d.padding(size: 56, kernelSize: 5, stride: 2) == (1, 2))
        XCTAssertTrue(SamePaddingConv2d.padding(size: 7, kernelSize: 3, stride: 2) == (1, 1))
        XCTAssertTrue(SamePaddingConv2d.padding(size: 7, kernelSize: 5, stride: 2) == (2, 2))
        XCTAssertTrue(SamePaddingConv2d.padding(size: 7, kernelSize: 5, stride: 1) == (2, 2))
    }

    /// The real network with the converted ImageNet weights (installed by scripts/fetch-weights,
    /// not committed) gives PyTorch's 1000 logits: names, shapes, converter and padding end to end.
    func testLite0LoadsTheImageNetCheckpointWhenInstalled() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Models/pretrained/efficientnet-lite0-imagenet.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("ImageNet weights not installed (scripts/fetch-weights)")
        }
        let model = try EfficientNetLite0(classCount: 1000)
        XCTAssertEqual(model.namedParameters().reduce(0) { $0 + $1.parameter.value.count }, 4_652_008)
        try Checkpoint.load(into: model, from: url)
        model.setTraining(false)
        let golden = try GoldenModelTests.fixture("efficientnet-lite0-imagenet.golden.safetensors")
        let input = try golden.tensor("input")
        let output = try model.forward(Tensor(shape: input.shape, values: input.values))
        XCTAssertLessThanOrEqual(GoldenModelTests.relativeError(try output.toArray(), try golden.tensor("output.eval").values), 1e-4)
    }
}
