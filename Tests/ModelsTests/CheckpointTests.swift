import Foundation
import Models
import NN
import SafeTensors
import Tensor
import TestSupport
import XCTest

/// Checkpoint names, round trips and mismatch reports.
final class CheckpointTests: XCTestCase {
    func testTorchvisionNamesOfFullSizeModels() throws {
        // Counts from torchvision's state_dict() (scripts/golden/torch_models.py checks the same
        // topology against torchvision): float tensors = all minus one num_batches_tracked per BatchNorm.
        let resnet50 = try ResNet(depth: .resNet50)
        XCTAssertEqual(Checkpoint.expectedShapes(of: resnet50).count, 320 - 53)
        XCTAssertEqual(resnet50.namedParameters().reduce(0) { $0 + $1.parameter.value.count }, 25_557_032)
        let names = Set(Checkpoint.expectedShapes(of: resnet50).map(\.name))
        for name in ["conv1.weight", "bn1.running_var", "layer1.0.downsample.0.weight", "layer4.2.conv3.weight", "fc.bias"] {
            XCTAssertTrue(names.contains(name), name)
        }
        let densenet = try DenseNet(configuration: .denseNet121)
        XCTAssertEqual(Checkpoint.expectedShapes(of: densenet).count, 727 - 121)
        XCTAssertEqual(densenet.namedParameters().reduce(0) { $0 + $1.parameter.value.count }, 7_978_856)
        let denseNames = Set(Checkpoint.expectedShapes(of: densenet).map(\.name))
        for name in ["features.conv0.weight", "features.denseblock3.denselayer24.conv2.weight",
                     "features.transition2.norm.running_mean", "features.norm5.bias", "classifier.weight"] {
            XCTAssertTrue(denseNames.contains(name), name)
        }
    }

    func testSaveAndLoadRoundTripInFloat32AndFloat16() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try ResNet(depth: .resNet18, classCount: 5, width: 4, blockCounts: [2, 1, 1, 1])
        try Checkpoint.load(into: source, from: GoldenModelTests.fixture("tiny-resnet-basic.weights.safetensors"))
        let url32 = directory.appendingPathComponent("m32.safetensors")
        let url16 = directory.appendingPathComponent("m16.safetensors")
        try Checkpoint.save(source, to: url32)
        try Checkpoint.save(source, to: url16, storage: .float16)
        let original = try Checkpoint.storedTensors(of: source)
        for (url, tolerance) in [(url32, Float(0)), (url16, Float(1e-3))] {
            let copy = try ResNet(depth: .resNet18, classCount: 5, width: 4, blockCounts: [2, 1, 1, 1], seed: 99)
            try Checkpoint.load(into: copy, from: url)
            for ((name, a), (_, b)) in zip(original, try Checkpoint.storedTensors(of: copy)) {
                XCTAssertLessThanOrEqual(GoldenModelTests.relativeError(b.values, a.values), tolerance, "\(url.lastPathComponent) \(name)")
            }
        }
    }

    func testWrongArchitectureIsReportedByName() throws {
        let model = try DenseNet(configuration: .init(growthRate: 4, blockLayers: [2, 3, 2, 2], initialChannels: 8, bottleneckFactor: 2),
                                 classCount: 5)
        XCTAssertThrowsError(try Checkpoint.load(into: model, from: GoldenModelTests.fixture("tiny-resnet-basic.weights.safetensors"))) { error in
            guard let mismatch = error as? TensorNameMismatch else { return XCTFail("\(error)") }
            XCTAssertTrue(mismatch.missing.contains("features.conv0.weight"))
            XCTAssertTrue(mismatch.unexpected.contains("layer1.0.conv1.weight"))
            XCTAssertTrue("\(error)".contains("tiny-resnet-basic.weights.safetensors: tensors do not match the model"))
        }
        let wider = try ResNet(depth: .resNet18, classCount: 7, width: 4, blockCounts: [2, 1, 1, 1])
        XCTAssertThrowsError(try Checkpoint.load(into: wider, from: GoldenModelTests.fixture("tiny-resnet-basic.weights.safetensors"))) { error in
            XCTAssertEqual((error as? TensorNameMismatch)?.misshaped.map(\.name), ["fc.bias", "fc.weight"])
        }
    }

    func testBackboneWeightsLoadIntoTheHeadModel() throws {
        let model = try GoldenModelTests.tinyHead(.average)
        let backbone = try GoldenModelTests.fixture("tiny-head-lse.weights.safetensors")
        // The head fixture's backbone part has the torchvision names; its head tensors are unexpected
        // for a plain backbone load, so write a torchvision-style file with a classifier instead.
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("backbone.safetensors")
        var tensors = try backbone.floatNames.filter { !$0.hasPrefix("head.") && !$0.hasPrefix("transition.") && !$0.hasPrefix("prediction.") }
            .map { ($0, try backbone.tensor($0)) }
        tensors.append(("fc.weight", StoredTensor(shape: [1000, 32], values: Array(repeating: 0, count: 32_000))))
        try SafeTensorsWriter.write(tensors, to: url)
        try Checkpoint.loadBackbone(into: model, from: SafeTensorsFile(contentsOf: url))
        let loaded = try model.backbone.namedParameters().first { $0.name == "conv1.weight" }!.parameter.value.toArray()
        XCTAssertEqual(loaded, try backbone.tensor("conv1.weight").values)
    }
}
