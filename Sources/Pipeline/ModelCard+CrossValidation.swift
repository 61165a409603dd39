import Evaluation
import Foundation
import Models

extension ModelCard {
    /// What a cross-validated run (`thorax train --folds K`) measured, on predictions each made
    /// by the fold model that never trained on that film (out of fold). The epoch count is fixed
    /// before the run and each fold's last epoch is used, so no scored film chose its model; the
    /// thresholds are chosen by the rule on these same predictions, which `thresholdsChosen` says.
    public struct CrossValidation: Codable, Equatable, Sendable {
        /// K, and the seed of the patient-level fold assignment.
        public var folds: Int
        public var seed: UInt64
        /// The data: films, patients, and positive films per class in `classes` order.
        public var images: Int
        public var patients: Int
        public var positives: [Int]
        /// How the epoch count was chosen, in words.
        public var epochsChosen: String
        /// The threshold rule and how it was applied, in words.
        public var thresholdRule: ThresholdRule
        public var thresholdsChosen: String
        /// Out-of-fold AUC per class (nil where undefined) with 95 % bootstrap intervals over films.
        public var auc: [Double?]
        public var aucIntervals: [BootstrapInterval?]
        public var meanAUC: Double?
        public var meanAUCInterval: BootstrapInterval?
        /// Mean findings marked present at the card's thresholds, on No Finding films and on
        /// films with findings (out of fold).
        public var markedFindings: MarkedFindings
        /// Whether the model is the K fold models' ensemble (else one model trained on all films).
        public var ensemble: Bool
        /// The source commit that trained it, as the caller gave it.
        public var commit: String?
        /// Networks per fold (and trained on every film) when more than one, their seeds
        /// consecutive from `seed`; absent for one.
        public var members: Int?
        /// How each network's scores were standardized, in words; absent when they were not.
        public var scoreStandardization: String?

        public init(folds: Int, seed: UInt64, images: Int, patients: Int, positives: [Int], epochsChosen: String,
                    thresholdRule: ThresholdRule, thresholdsChosen: String, auc: [Double?],
                    aucIntervals: [BootstrapInterval?], meanAUC: Double?, meanAUCInterval: BootstrapInterval?,
                    markedFindings: MarkedFindings, ensemble: Bool, commit: String?, members: Int? = nil,
                    scoreStandardization: String? = nil) {
            self.members = members
            self.scoreStandardization = scoreStandardization
            self.folds = folds
            self.seed = seed
            self.images = images
            self.patients = patients
            self.positives = positives
            self.epochsChosen = epochsChosen
            self.thresholdRule = thresholdRule
            self.thresholdsChosen = thresholdsChosen
            self.auc = auc
            self.aucIntervals = aucIntervals
            self.meanAUC = meanAUC
            self.meanAUCInterval = meanAUCInterval
            self.markedFindings = markedFindings
            self.ensemble = ensemble
            self.commit = commit
        }
    }

    /// The card in one line, as `thorax predict` prints it first: the network and input, what
    /// it was measured on and how (out-of-fold mean AUC with its interval where the run was
    /// cross-validated), and that it is not for clinical use.
    public var summary: String {
        var parts = ["\(architecture.rawValue)" + (backboneStride == .sixteen ? " (output stride 16)" : "")
            + " at \(preprocessing.inputSize) px, \(heatmapSize)×\(heatmapSize) heatmaps"]
        if let cv = crossValidation {
            let networks = cv.members ?? 1
            let members = cv.ensemble ? "an ensemble of \(cv.folds * networks) fold models"
                : networks > 1 ? "an ensemble of \(networks) models" : "one model"
            var figure = cv.meanAUC.map { String(format: "out-of-fold mean AUC %.3f", $0) } ?? "out-of-fold mean AUC undefined"
            if let interval = cv.meanAUCInterval {
                figure += String(format: " (95%% CI %.3f–%.3f)", interval.lower, interval.upper)
            }
            parts.append("\(members), \(cv.folds)-fold cross-validation on \(cv.images) films of \(cv.patients) patients: \(figure)")
            parts.append("thresholds: \(cv.thresholdRule.rawValue)")
        } else if let metrics, let mean = metrics.meanAUC {
            parts.append(String(format: "mean AUC %.3f on %@ (the images that chose its epoch and thresholds)", mean, metrics.evaluatedOn))
        }
        parts.append("not for clinical use")
        return parts.joined(separator: "; ")
    }
}
