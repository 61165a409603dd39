import Foundation

/// Which images a browser's list shows: every condition set narrows the list; nil means any.
public struct ImageBrowseFilter: Equatable, Sendable {
    /// A split's name and one of its parts (both or neither).
    public var split: String?
    public var part: String?
    /// A class (one of `Findings.labelClasses`) the image is labelled positive for by
    /// `labelSource`.
    public var finding: String?
    /// `nih`, `labeller`, `human` or `model:ID`.
    public var labelSource = "nih"
    /// A model whose stored probability of `finding` is shown, filtered (`minimumProbability`)
    /// and sorted by.
    public var modelID: Int64?
    public var minimumProbability: Double?
    /// Only images with (true) or without (false) hand-drawn boxes (sources `nih`, `human`).
    public var hasBoxes: Bool?
    /// A patient's identifier as the source gives it (NIH: the decimal Patient ID).
    public var patient: String?
    /// Highest probability first (needs `modelID` and `finding`); otherwise by image id.
    public var sortByProbability = false
    /// The page, counted from 0, of `pageSize` rows.
    public var page = 0
    public var pageSize = 50

    public init() {}
}

/// One row of the list: what identifies the image, who and what it shows, its labels.
public struct BrowsedImage: Equatable, Sendable, Codable {
    public var id: Int64
    public var name: String
    public var patient: String
    public var view: String?
    public var age: Int?
    public var sex: String?
    public var followUp: Int?
    /// Whether a file was found for the image on import (its path is recorded).
    public var hasFile: Bool
    /// The classes `labelSource` labels positive, in Thorax order.
    public var labels: [String]
    /// The filter's model's probability of the filter's finding, when both are set.
    public var probability: Double?
}

/// A page of the list and how many images match in all.
public struct ImageBrowsePage: Equatable, Sendable, Codable {
    public var total: Int
    public var page: Int
    public var pageSize: Int
    public var images: [BrowsedImage]
}

/// A label of an image as stored: its source (and model), class, value and evidence.
public struct StoredImageLabel: Equatable, Sendable, Codable {
    public var source: String
    public var modelID: Int64?
    public var className: String
    /// 1 positive, 0 negative, −1 uncertain.
    public var value: Int
    public var evidence: String?
}

/// A box on an image in the stored frame: hand-drawn (`nih`, `human`) or a model's.
public struct StoredImageBox: Equatable, Sendable, Codable {
    public var className: String
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public var source: String
    public var modelID: Int64?
    public var score: Double?
}

/// A model's stored probabilities for one image, by class name.
public struct StoredImagePrediction: Equatable, Sendable, Codable {
    public var modelID: Int64
    public var modelName: String
    public var probabilities: [String: Double]
}

/// Another image of the same patient, for following them over time.
public struct RelatedImage: Equatable, Sendable, Codable {
    public var id: Int64
    public var name: String
    public var followUp: Int?
    public var view: String?
}

/// Everything the database knows about one image.
public struct ImageDetail: Equatable, Sendable, Codable {
    public var id: Int64
    public var name: String
    public var patient: String
    public var view: String?
    public var age: Int?
    public var sex: String?
    public var followUp: Int?
    /// The file on disk, nil when none was found on import. Never sent to clients as is.
    public var path: String?
    public var width: Int?
    public var height: Int?
    public var originalWidth: Int?
    public var originalHeight: Int?
    /// (split, part) pairs the image belongs to.
    public var splits: [[String]]
    public var labels: [StoredImageLabel]
    public var boxes: [StoredImageBox]
    public var predictions: [StoredImagePrediction]
    /// The patient's other images, by follow-up number.
    public var related: [RelatedImage]
    /// Reports of the image's study (or, without one, of its patient).
    public var reportIDs: [Int64]
}

/// A stored report: its source, identifier and sections.
public struct StoredReport: Equatable, Sendable, Codable {
    public struct Section: Equatable, Sendable, Codable {
        /// The heading ("FINDINGS", "IMPRESSION"); empty for text under none.
        public var name: String
        public var text: String
    }

    public var id: Int64
    public var source: String
    public var identifier: String
    public var sections: [Section]
}

/// A report in a list: its identifier and the classes the labeller found positive.
public struct ReportSummary: Equatable, Sendable, Codable {
    public var id: Int64
    public var source: String
    public var identifier: String
    public var positives: [String]
}
