import Evaluation
import Foundation
import Hummingbird
import Reporting
import Service
import Store

/// `GET /api/models/{id}/roc.svg?split&part`: the ROC curves of a model's stored probabilities
/// against the NIH labels of a split part's images (the official test part by default), drawn by
/// Reporting as the evaluation's figures are. Images without a stored probability of a class are
/// left out of that class's curve; a class with no positive or no negative image is listed as
/// undefined. No bootstrap: the page shows the curves and their areas.
struct ModelCurves: Sendable {
    let database: ThoraxDatabase

    func svg(modelID: Int64, split: String, part: String) throws -> Response {
        let models = try database.modelCards()
        guard let model = models.first(where: { $0.id == modelID }) else {
            throw ServiceError.notFound("no model with id \(modelID)")
        }
        let images: [LabelledImage]
        do {
            images = try database.labelledImages(split: split, part: part, source: "nih")
        } catch let error as StoreError {
            throw ServiceError.notFound(error.description)
        }
        let stored = try database.storedProbabilities(modelID: modelID)
        var series: [ROCCurveSVG.Series] = []
        var undefined: [String] = []
        var counted = Set<Int64>()
        for (column, className) in stored.classes.enumerated() {
            guard let labelIndex = Findings.index[className] else { continue }
            var scores: [Double] = [], labels: [Bool] = []
            for image in images {
                guard let probabilities = stored.byImage[image.id], !probabilities[column].isNaN, image.labels[labelIndex] >= 0 else { continue }
                scores.append(probabilities[column])
                labels.append(image.labels[labelIndex] == 1)
                counted.insert(image.id)
            }
            if let curve = try ROCCurve(scores: scores, labels: labels) {
                series.append(ROCCurveSVG.Series(name: className, curve: curve, auc: curve.area))
            } else {
                undefined.append(className)
            }
        }
        guard !counted.isEmpty else {
            throw ServiceError.notFound("model \(modelID) has no stored probabilities for the images of \(split) \(part)")
        }
        let chart = ROCCurveSVG(title: "\(model.name) on \(split) \(part): \(counted.count) images", series: series,
                                undefinedClasses: undefined)
        return Response(status: .ok, headers: [.contentType: "image/svg+xml"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: chart.render())))
    }
}
