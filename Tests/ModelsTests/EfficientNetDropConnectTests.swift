import Models
import NN
import Random
import Tensor
import XCTest

/// EfficientNet-Lite0's drop connect: the package's rate per block (rate · i / B, skip blocks
/// only), a dropped sample's block output equal to its input and a kept one's branch divided
/// by 1 − p, and nothing changed in evaluation.
final class EfficientNetDropConnectTests: XCTestCase {
    func testRatesFollowThePackagesSchedule() throws {
        let model = try EfficientNetLite0(configuration: EfficientNetGoldenTests.tiny, classCount: 5)
        try model.setDropConnect(rate: 0.2, seed: 1)
        let blocks = model.blocks.layers.map { $0.layer as! EfficientNetBlock }
        XCTAssertEqual(blocks.count, 16)
        for (index, block) in blocks.enumerated() {
            if block.hasSkip {
                let rate = try XCTUnwrap(block.dropConnect, "block \(index) has a skip").probability
                XCTAssertEqual(rate, 0.2 * Float(index) / 16, accuracy: 1e-7, "block \(index)")
            } else {
                XCTAssertNil(block.dropConnect, "block \(index) has no skip connection")
            }
        }
        XCTAssertEqual(blocks.filter { $0.dropConnect != nil }.count, 9)
        try model.setDropConnect(rate: 0, seed: 1)
        XCTAssertTrue(blocks.allSatisfy { $0.dropConnect == nil })
        XCTAssertThrowsError(try model.setDropConnect(rate: 1, seed: 1))
    }

    func testDroppedSamplesPassTheirInputAndKeptOnesScaleTheBranch() throws {
        let shape = [8, 8, 5, 5]
        var random = SplitMix64(seed: 4)
        let values = (0 ..< shape.reduce(1, *)).map { _ in random.uniform(-1...1) }
        let block = try EfficientNetBlock(inputChannels: 8, outputChannels: 8, kernelSize: 3, stride: 1, expansion: 6, seed: 9)
        block.setTraining(true)
        let plain = try block.forward(Tensor(shape: shape, values: values)).toArray()
        try block.setDropConnect(rate: 0.5, seed: 2)
        let dropped = try block.forward(Tensor(shape: shape, values: values)).toArray()
        let kept = try XCTUnwrap(block.dropConnect).lastKeptSamples
        XCTAssertTrue(kept.contains(true) && kept.contains(false), "seed 2 keeps some of the 8 samples and drops others: \(kept)")
        let run = values.count / shape[0]
        for index in values.indices {
            let branch = plain[index] - values[index]
            let expected = kept[index / run] ? values[index] + branch / 0.5 : values[index]
            XCTAssertEqual(dropped[index], expected, accuracy: 1e-4 * max(1, abs(expected)), "element \(index)")
        }
        _ = try block.backward(Tensor(shape: shape, repeating: 1))

        block.setTraining(false)
        XCTAssertFalse(try XCTUnwrap(block.dropConnect).isTraining, "evaluation reaches the drop connect")
        let evaluated = try block.forward(Tensor(shape: shape, values: values)).toArray()
        try block.setDropConnect(rate: 0, seed: 2)
        XCTAssertEqual(try block.forward(Tensor(shape: shape, values: values)).toArray(), evaluated)
    }
}
