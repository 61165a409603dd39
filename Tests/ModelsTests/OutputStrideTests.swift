@testable import Models
import NN
import SafeTensors
import Tensor
import XCTest

/// Output stride 16: the last stride-2 stage runs at stride 1 and the convolutions after it are
/// dilated by 2, so a 256² input gives 16×16 feature maps; the weights are those of the
/// published network (same names and shapes), and the folded inference path agrees.
final class OutputStrideTests: XCTestCase {
    private func input(_ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, values: (0 ..< shape.reduce(1, *)).map { Float(($0 * 37) % 23) / 11 - 1 })
    }

    func testPlanDropsTheStrideThatPassesSixteenAndDilatesWhatFollows() {
        // EfficientNet-Lite0: stem 2, then the stages' 1, 2, 2, 2, 1, 2, 1.
        let plan = OutputStride.sixteen.plan(strides: [2, 1, 2, 2, 2, 1, 2, 1])
        XCTAssertEqual(plan.map(\.stride), [2, 1, 2, 2, 2, 1, 1, 1])
        XCTAssertEqual(plan.map(\.dilationBefore), [1, 1, 1, 1, 1, 1, 1, 2])
        XCTAssertEqual(plan.map(\.dilationAfter), [1, 1, 1, 1, 1, 1, 2, 2])
        let published = OutputStride.thirtyTwo.plan(strides: [2, 1, 2, 2, 2, 1, 2, 1])
        XCTAssertEqual(published.map(\.stride), [2, 1, 2, 2, 2, 1, 2, 1])
        XCTAssertTrue(published.allSatisfy { $0.dilationBefore == 1 && $0.dilationAfter == 1 })
        XCTAssertEqual(OutputStride.sixteen.featureSize(inputSize: 256), 16)
        XCTAssertEqual(OutputStride.thirtyTwo.featureSize(inputSize: 256), 8)
        XCTAssertThrowsError(try OutputStride(value: 8))
    }

    func testEfficientNetLite0GivesSixteenBySixteenMapsAt256() throws {
        let dilated = try EfficientNetLite0(configuration: EfficientNetGoldenTests.tiny, outputStride: .sixteen, seed: 3)
        let published = try EfficientNetLite0(configuration: EfficientNetGoldenTests.tiny, seed: 3)
        for model in [dilated, published] { model.setTraining(false) }
        XCTAssertEqual(try dilated.forward(input([1, 3, 256, 256])).shape, [1, 1280, 16, 16])
        XCTAssertEqual(try published.forward(input([1, 3, 256, 256])).shape, [1, 1280, 8, 8])
        // The last stage's first block keeps dilation 1 at stride 1; every depthwise after it is dilated.
        let blocks = dilated.blocks.layers.map { $0.layer as! EfficientNetBlock }
        XCTAssertEqual(blocks.map(\.stride), [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        XCTAssertEqual(blocks.map(\.depthwise.dilation), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2])
        XCTAssertEqual(blocks.map(\.hasSkip), (published.blocks.layers.map { ($0.layer as! EfficientNetBlock).hasSkip }))
    }

    func testTheRealLite0At256GivesSixteenBySixteen() throws {
        let model = try Architecture.efficientnetLite0.makeBackbone(outputStride: .sixteen, seed: 1)
        model.setTraining(false)
        XCTAssertEqual(try model.forward(input([1, 3, 256, 256])).shape, [1, 1280, 16, 16])
    }

    func testPublishedWeightsLoadUnchanged() throws {
        let weights = try GoldenModelTests.fixture("tiny-efficientnet-lite0.weights.safetensors")
        let dilated = try EfficientNetLite0(configuration: EfficientNetGoldenTests.tiny, classCount: 5, outputStride: .sixteen)
        let published = try EfficientNetLite0(configuration: EfficientNetGoldenTests.tiny, classCount: 5)
        let shapes = Checkpoint.expectedShapes(of: dilated)
        XCTAssertEqual(shapes.map(\.name), Checkpoint.expectedShapes(of: published).map(\.name))
        XCTAssertEqual(shapes.map(\.shape), Checkpoint.expectedShapes(of: published).map(\.shape))
        try Checkpoint.load(into: dilated, from: weights)
        try Checkpoint.load(into: published, from: weights)
        for ((name, mine), (_, theirs)) in zip(dilated.namedParameters(), published.namedParameters()) {
            XCTAssertEqual(try mine.value.toArray(), try theirs.value.toArray(), name)
        }
        for ((name, mine), (_, theirs)) in zip(dilated.namedBuffers(), published.namedBuffers()) {
            XCTAssertEqual(try mine.toArray(), try theirs.toArray(), name)
        }
    }

    func testFoldedInferenceEqualsUnfoldedWhenDilated() throws {
        let weights = try GoldenModelTests.fixture("tiny-efficientnet-lite0.weights.safetensors")
        let model = try EfficientNetLite0(configuration: EfficientNetGoldenTests.tiny, outputStride: .sixteen)
        try Checkpoint.load(into: model, from: weights, ignoring: { $0.hasPrefix("_fc.") })
        model.setTraining(false)
        let x = try input([2, 3, 64, 64])
        let folded = try model.forward(x).toArray()
        var options = EngineOptions()
        options.foldsBatchNormInInference = false
        model.setOptions(options)
        let unfolded = try model.forward(x).toArray()
        XCTAssertEqual(folded.count, 2 * 1280 * 4 * 4)
        let scale = unfolded.map(abs).max() ?? 1
        let worst = zip(folded, unfolded).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst / scale, 1e-4)
    }

    func testResNetBottlenecksDilateAndBasicBlocksRefuse() throws {
        let dilated = try ResNet(depth: .resNet50, classCount: nil, width: 4, blockCounts: [1, 1, 1, 2], outputStride: .sixteen, seed: 2)
        let published = try ResNet(depth: .resNet50, classCount: nil, width: 4, blockCounts: [1, 1, 1, 2], seed: 2)
        for model in [dilated, published] { model.setTraining(false) }
        XCTAssertEqual(try dilated.forward(input([1, 3, 64, 64])).shape, [1, 128, 4, 4])
        XCTAssertEqual(try published.forward(input([1, 3, 64, 64])).shape, [1, 128, 2, 2])
        XCTAssertEqual(Checkpoint.expectedShapes(of: dilated).map(\.shape), Checkpoint.expectedShapes(of: published).map(\.shape))
        XCTAssertThrowsError(try Architecture.resnet18.makeBackbone(outputStride: .sixteen)) { error in
            XCTAssertEqual(error as? ArchitectureError, .noDilatedForm(.resnet18))
        }
        XCTAssertThrowsError(try Architecture.densenet121.makeBackbone(outputStride: .sixteen))
        XCTAssertThrowsError(try SamePaddingConv2d(inputChannels: 4, outputChannels: 4, kernelSize: 3, stride: 2, dilation: 2))
    }
}
