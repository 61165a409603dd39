import Pipeline
import Foundation
import Store

/// Stores a model's probabilities for images of the database (`predict --database`,
/// `eval --store-predictions`) in one transaction, registering the model by the hash of its
/// weights, and says on standard error what was written (standard output stays for results).
///
/// `model` is the `--model` value: the bundled model registers as `default`, a directory
/// under its own name. With no results, nothing is written (the model is not registered).
func storeModelPredictions(_ results: [ImageProbabilities], model: String, in database: ThoraxDatabase,
                      path: String) throws {
    guard !results.isEmpty else {
        FileHandle.standardError.write(Data("stored nothing in \(path): no image of this run is in it\n".utf8))
        return
    }
    let directory = try ModelDirectory.resolve(model)
    let record = try ModelRecord.read(directory: directory, name: model == ModelDirectory.defaultName ? model : nil)
    let summary = try database.storePredictions(results, of: record)
    let images = "\(summary.images) image\(summary.images == 1 ? "" : "s")"
    FileHandle.standardError.write(Data((
        "stored \(summary.predictions) probabilities of \(images) (\(summary.replaced) replaced) "
            + "and their labels (\(summary.positives) present) as model \(summary.model.id) "
            + "'\(summary.model.name)' in \(path)\n").utf8))
}
