import Evaluation
import Reporting
import Store

extension EvaluationRunner {
    /// The classification report of probabilities already stored for a model (a cross-validated
    /// run's out-of-fold predictions) on `images`, without running any network: the truth as
    /// `run(images:)` takes it; images without a label are counted as unlabelled, labelled
    /// images without stored probabilities as missing.
    /// - Throws: `EvaluationError.invalidParameter` when no image has both, or when a stored
    ///   probability is missing for a class (NaN); the metric's errors.
    public static func report(stored: StoredPredictions, images: [LabelledImage], modelName: String,
                              bootstrap: BootstrapOptions = BootstrapOptions(),
                              progress: ((Int, Int) -> Void)? = nil) throws -> EvaluationReport {
        let labelled = images.filter { $0.labels.contains { $0 != -1 } }
        let labelIndex = stored.classes.map { Findings.index[$0] }
        var scores: [[Float]] = [], labels: [[Bool]] = [], probabilities: [ImageProbabilities] = []
        for image in labelled {
            guard let values = stored.probabilities[image.id] else { continue }
            if let c = values.firstIndex(where: \.isNaN) {
                throw EvaluationError.invalidParameter("\(image.name): no stored probability of \(stored.classes[c]) for \(modelName)")
            }
            scores.append(values)
            labels.append(labelIndex.map { c in c.map { image.labels[$0] == 1 } ?? false })
            probabilities.append(ImageProbabilities(imageID: image.id, probabilities: values))
        }
        guard !scores.isEmpty else {
            throw EvaluationError.invalidParameter(
                "no image to evaluate: \(images.count) requested, \(images.count - labelled.count) without labels, none of the others has stored predictions of \(modelName)")
        }
        let evaluation = try ClassificationEvaluation(classNames: stored.classes, scores: scores, labels: labels,
                                                      bootstrap: bootstrap, progress: progress)
        return EvaluationReport(evaluation: evaluation, table: ClassificationTable(model: modelName, evaluation: evaluation),
                                requested: images.count, missing: labelled.count - scores.count,
                                unlabelled: images.count - labelled.count, failures: [], probabilities: probabilities)
    }
}
