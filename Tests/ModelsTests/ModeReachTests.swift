import Models
import NN
import Tensor
import XCTest

/// The residual sums and DenseNet's concatenations are modules without parameters; they must still
/// be children, so that `setTraining(_:)` and `setOptions(_:)` reach them — an evaluation-mode sum
/// that believed it was training would keep its inputs for a backward that never comes.
final class ModeReachTests: XCTestCase {
    func testSetTrainingAndOptionsReachEverySumAndConcatenation() throws {
        let denseNet = DenseNet.Configuration(growthRate: 4, blockLayers: [2, 3, 2, 2], initialChannels: 8, bottleneckFactor: 2)
        let models: [(String, Layer, sums: Int, concatenations: Int)] = [
            // basic blocks [2, 1, 1, 1]: 5 sums; bottleneck [1, 2, 1, 1]: 5 sums.
            ("resnet basic", try ResNet(depth: .resNet18, classCount: 5, width: 4, blockCounts: [2, 1, 1, 1]), 5, 0),
            ("resnet bottleneck", try ResNet(depth: .resNet50, classCount: 5, width: 4, blockCounts: [1, 2, 1, 1]), 5, 0),
            // each dense block of L layers: one concatenation per layer after the first, and its output's.
            ("densenet", try DenseNet(configuration: denseNet, classCount: 5), 0, 2 + 3 + 2 + 2),
        ]
        let recording = EngineOptions(recordsGradientsInEvaluation: true)
        for (name, model, sums, concatenations) in models {
            model.setTraining(false)
            model.setOptions(recording)
            var foundSums = 0, foundConcatenations = 0
            model.forEachModule { module in
                if let add = module as? Add {
                    foundSums += 1
                    XCTAssertFalse(add.isTraining, "\(name): a residual sum still in training mode")
                    XCTAssertEqual(add.options, recording, "\(name): a residual sum without the model's options")
                }
                if let concat = module as? Concat {
                    foundConcatenations += 1
                    XCTAssertFalse(concat.isTraining, "\(name): a concatenation still in training mode")
                    XCTAssertEqual(concat.options, recording, "\(name): a concatenation without the model's options")
                }
            }
            XCTAssertEqual(foundSums, sums, name)
            XCTAssertEqual(foundConcatenations, concatenations, name)
        }
    }

    /// The sums have no parameters or buffers, so listing them leaves checkpoint names unchanged.
    func testListingThemLeavesParameterNamesAsTorchvision() throws {
        let model = try ResNet(depth: .resNet18, classCount: 5, width: 4, blockCounts: [2, 1, 1, 1])
        XCTAssertFalse(model.namedParameters().contains { $0.name.contains("add") })
        XCTAssertTrue(model.namedParameters().contains { $0.name == "layer1.0.conv1.weight" })
    }
}
