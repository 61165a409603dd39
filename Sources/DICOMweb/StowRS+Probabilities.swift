import Evaluation
import Store

extension DICOMwebRoutes {
    /// Records a stored image's probabilities in the database, as `thorax predict --store`
    /// does: under the predictor's model (registered by its weights' SHA-256), with `model`
    /// labels at its thresholds. After the instance is filed, in a transaction of its own: a
    /// failure is logged by SOP Instance UID and the instance stays stored with its results.
    func recordProbabilities(_ prediction: Prediction, sopInstanceUID: String) {
        guard let record = predictor.modelRecord else { return }
        do {
            guard let image = try database.imageID(named: sopInstanceUID) else { return }
            try database.storePredictions([ImageProbabilities(imageID: image, probabilities: prediction.probabilities)], of: record)
        } catch {
            logger.warning("probabilities not recorded", metadata: ["sop": "\(sopInstanceUID)", "error": "\(type(of: error))"])
        }
    }
}
