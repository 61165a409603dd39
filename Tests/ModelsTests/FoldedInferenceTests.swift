import Models
import NN
import SafeTensors
import Tensor
import XCTest

/// The folded inference path (`foldBatchNorm()`, `Conv2d.forward(_:fusing:)`) is taken only in
/// unrecorded evaluation: a training-mode forward runs the layers one by one (batch statistics,
/// running statistics updated, backward possible), a block built alone never writes over its
/// input, and every golden backbone gives the same output folded as unfolded.
final class FoldedInferenceTests: XCTestCase {
    /// Running statistics away from the initial (0, 1), so that folding them would show.
    private func randomizeStatistics(_ model: Layer) throws {
        var state: UInt64 = 7
        for (_, buffer) in model.namedBuffers() {
            try buffer.withUnsafeMutableBufferPointer { values in
                for index in values.indices {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    values[index] = 0.5 + Float(state >> 40) / Float(1 << 24)  // in [0.5, 1.5): valid variances and means
                }
            }
        }
    }

    private func input(_ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, values: (0 ..< shape.reduce(1, *)).map { Float(($0 * 37) % 23) / 11 - 1 })
    }

    /// Training forward: not folded (the running statistics move, backward runs, and the output
    /// differs from the folded evaluation output); then unrecorded evaluation folds (backward refused).
    private func checkTrainingNeverFolds(_ block: Layer, inputShape: [Int], _ name: String) throws {
        block.foldBatchNorm()
        try randomizeStatistics(block)
        let x = try input(inputShape)
        block.setTraining(false)
        XCTAssertGreaterThan(Self.foldingConvolutions(in: block), 0, "\(name): folded in unrecorded evaluation")
        let foldedOutput = try block.forward(x)
        let folded = try foldedOutput.toArray()
        XCTAssertThrowsError(try block.backward(Tensor(shape: foldedOutput.shape, repeating: 1)),
                             "\(name): backward after folded inference")
        block.setTraining(true)
        XCTAssertEqual(Self.foldingConvolutions(in: block), 0, "\(name): nothing folds in training")
        let before = try block.namedBuffers().map { try $0.tensor.toArray() }
        let trained = try block.forward(x)
        let after = try block.namedBuffers().map { try $0.tensor.toArray() }
        XCTAssertNotEqual(before, after, "\(name): a training forward updates the running statistics")
        XCTAssertNoThrow(try block.backward(Tensor(shape: trained.shape, repeating: 1)), "\(name): backward after a training forward")
        let difference = zip(try trained.toArray(), folded).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(difference, 1e-2, "\(name): batch statistics, not the folded running ones")
    }

    func testResidualBlocksNeverFoldInTraining() throws {
        try checkTrainingNeverFolds(ResidualBlock(kind: .bottleneck, inputChannels: 8, width: 4, stride: 2, seed: 1),
                                    inputShape: [2, 8, 7, 9], "bottleneck with downsample")
        try checkTrainingNeverFolds(ResidualBlock(kind: .basic, inputChannels: 8, width: 8, stride: 1, seed: 2),
                                    inputShape: [2, 8, 5, 6], "basic, identity shortcut")
    }

    func testEfficientNetBlocksNeverFoldInTraining() throws {
        try checkTrainingNeverFolds(EfficientNetBlock(inputChannels: 8, outputChannels: 8, kernelSize: 3, stride: 1, expansion: 6,
                                                      seed: 3), inputShape: [2, 8, 7, 5], "MBConv with skip")
        try checkTrainingNeverFolds(EfficientNetBlock(inputChannels: 8, outputChannels: 16, kernelSize: 5, stride: 2, expansion: 6,
                                                      seed: 4), inputShape: [2, 8, 9, 7], "MBConv, stride 2, odd sizes")
    }

    /// A block built alone must not write its output over its input (only ResNet's and
    /// EfficientNet's own blocks may: their inputs are fresh outputs nothing else reads), and its
    /// folded output equals the unfolded one.
    func testBlocksBuiltAloneLeaveTheirInputAlone() throws {
        let blocks: [(Layer, [Int])] = [
            (try ResidualBlock(kind: .basic, inputChannels: 16, width: 16, stride: 1, seed: 5), [2, 16, 6, 5]),
            (try EfficientNetBlock(inputChannels: 16, outputChannels: 16, kernelSize: 3, stride: 1, expansion: 6, seed: 6), [2, 16, 6, 5]),
        ]
        for (block, shape) in blocks {
            try randomizeStatistics(block)
            block.setTraining(false)
            // The input in the blocked layout the convolutions produce, so that writing over it would be possible.
            let plain = try input(shape)
            let x = try plain.reordered(to: Tensor.Layout.channelBlocked(shape, block: 8))
            block.unfoldBatchNorm()
            let unfolded = try block.forward(x).toArray()
            block.foldBatchNorm()
            let folded = try block.forward(x)
            XCTAssertFalse(folded === x)
            XCTAssertEqual(try x.toArray(), try plain.toArray(), "\(type(of: block)): input unchanged")
            let scale = max(unfolded.map(abs).max() ?? 0, 1)
            XCTAssertLessThanOrEqual((zip(try folded.toArray(), unfolded).map { abs($0 - $1) }.max() ?? 0) / scale, 1e-5,
                                     "\(type(of: block)): folded vs unfolded")
        }
    }

    /// How many convolutions of `model` compute a folded batch norm now.
    static func foldingConvolutions(in model: Module) -> Int {
        var count = 0
        model.forEachModule { if let layer = $0 as? ConvolutionLayer, layer.convolution.foldsBatchNorm { count += 1 } }
        return count
    }

    /// Every backbone of the golden tests (with their weights, running statistics moved away from
    /// the fixtures' so that folding them shows) gives the same inference output with the batch
    /// norms folded as without, and the fold is taken.
    func testFoldedOutputEqualsUnfoldedForEveryGoldenBackbone() throws {
        let denseNet = DenseNet.Configuration(growthRate: 4, blockLayers: [2, 3, 2, 2], initialChannels: 8, bottleneckFactor: 2)
        let models: [(String, Layer)] = [
            ("tiny-resnet-basic", try ResNet(depth: .resNet18, classCount: 5, width: 4, blockCounts: [2, 1, 1, 1])),
            ("tiny-resnet-bottleneck", try ResNet(depth: .resNet50, classCount: 5, width: 4, blockCounts: [1, 2, 1, 1])),
            ("tiny-densenet", try DenseNet(configuration: denseNet, classCount: 5)),
            ("tiny-efficientnet-lite0", try EfficientNetLite0(configuration: EfficientNetGoldenTests.tiny, classCount: 5)),
            ("tiny-head-lse", try GoldenModelTests.tinyHead(.logSumExp(r: 10))),
        ]
        for (name, model) in models {
            try Checkpoint.load(into: model, from: GoldenModelTests.fixture(name + ".weights.safetensors"))
            try randomizeStatistics(model)
            let input = try GoldenModelTests.fixture(name + ".golden.safetensors").tensor("input")
            model.setTraining(false)
            model.setOptions(EngineOptions(foldsBatchNormInInference: false))
            XCTAssertEqual(Self.foldingConvolutions(in: model), 0, "\(name): unfolded")
            let unfolded = try model.forward(Tensor(shape: input.shape, values: input.values)).toArray()
            model.setOptions(EngineOptions())
            XCTAssertGreaterThan(Self.foldingConvolutions(in: model), 0, "\(name): folded")
            let folded = try model.forward(Tensor(shape: input.shape, values: input.values)).toArray()
            XCTAssertLessThanOrEqual(GoldenModelTests.relativeError(folded, unfolded), 1e-5, "\(name): folded vs unfolded")
        }
    }
}
