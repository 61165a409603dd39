import Pipeline
import Foundation
import TestSupport
import XCTest

/// What the predict/eval/localize/demo command tests share: a small seeded model directory
/// (ResNet-18 at 64 pixels, random weights, so every run gives the same numbers) and a
/// database built by `thorax db import-nih` from the bundled NIH samples.
enum BenchmarkCommandFixture {
    static let samples = SharedData.repositoryRoot.appendingPathComponent("Samples")
    static let sampleImages = samples.appendingPathComponent("nih/images")

    /// Writes the model into `directory`. Thresholds: Atelectasis 0 (always present), every
    /// other class 2 (never present), so exactly one heatmap per image is drawn.
    static func makeModel(in directory: URL) throws -> URL {
        let classes = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
                       "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia"]
        let card = ModelCard(
            architecture: .resnet18, classes: classes,
            preprocessing: .init(inputSize: 64, channels: 3, mean: [0.485, 0.456, 0.406], standardDeviation: [0.229, 0.224, 0.225]),
            head: .init(transitionChannels: 16, pooling: .logSumExp, lseR: 10),
            thresholds: [0] + Array(repeating: 2, count: 13), notes: "test fixture: random weights",
            thoraxVersion: "test", created: Date(timeIntervalSince1970: 0))
        let url = directory.appendingPathComponent("model")
        try ChestModel(card: card, seed: 5).save(directory: url)
        return url
    }

    /// Copies the sample images into `directory/images`, imports the sample release into
    /// `directory/thorax.sqlite` with `thorax db import-nih`, and returns the database path.
    static func makeDatabase(in directory: URL) throws -> (database: String, images: URL) {
        let images = directory.appendingPathComponent("images")
        try FileManager.default.copyItem(at: sampleImages, to: images)
        let database = directory.appendingPathComponent("thorax.sqlite").path
        let nih = samples.appendingPathComponent("nih")
        let result = try ForwardCommandTests.run([
            "db", "import-nih", "--database", database,
            "--data-entry", nih.appendingPathComponent("Data_Entry_2017_v2020.csv").path,
            "--bbox", nih.appendingPathComponent("BBox_List_2017.csv").path,
            "--train-val-list", nih.appendingPathComponent("train_val_list.txt").path,
            "--test-list", nih.appendingPathComponent("test_list.txt").path,
            "--images", images.path,
        ])
        guard result.status == 0 else {
            throw FixtureError("thorax db import-nih of the bundled samples failed (\(result.status)): \(result.error)")
        }
        return (database, images)
    }
}
