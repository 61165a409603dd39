import Foundation

/// Which overlap a localization threshold applies to.
public enum OverlapCriterion: String, Codable, Equatable, Hashable, Sendable {
    /// Intersection over union.
    case iou = "IoU"
    /// Intersection over the detected box: area(truth ∩ detected) / area(detected).
    case iobb = "IoBB"
}

/// One row of the paper's localization table: a criterion and its threshold T.
///
/// The paper calls a detection correct "when IoU > T(IoU) or IoBB > T(IoBB)" and tabulates each
/// criterion at its own thresholds; each row here applies one criterion alone, with a strict
/// "greater than".
public struct LocalizationThreshold: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var criterion: OverlapCriterion
    public var value: Double

    public init(_ criterion: OverlapCriterion, _ value: Double) {
        self.criterion = criterion
        self.value = value
    }

    /// The paper's rows: T(IoU) ∈ {0.1, 0.2, …, 0.7}, then T(IoBB) ∈ {0.1, 0.25, 0.5, 0.75, 0.9}.
    public static let paper: [LocalizationThreshold] =
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map { LocalizationThreshold(.iou, $0) }
        + [0.1, 0.25, 0.5, 0.75, 0.9].map { LocalizationThreshold(.iobb, $0) }

    /// Whether `detected` localizes `truth` at this threshold (overlap strictly above it).
    public func matches(truth: BoundingBox, detected: BoundingBox) -> Bool {
        switch criterion {
        case .iou: return truth.intersectionOverUnion(with: detected) > value
        case .iobb: return truth.intersectionOverDetectedBox(detected) > value
        }
    }

    public var description: String {
        "T(\(criterion.rawValue)) = \(value)"
    }
}

/// What is scored for one heatmap: the truth boxes of one class on one image and the boxes
/// generated from that class's heatmap (in the same frame).
public struct LocalizationCase: Equatable, Sendable, Codable {
    public var imageName: String
    public var className: String
    /// Hand-drawn boxes of this class on this image (ChestX-ray14 has exactly one per pair).
    public var truthBoxes: [BoundingBox]
    /// The generated boxes (`BoxExtraction`), one to three.
    public var detections: [BoundingBox]

    public init(imageName: String, className: String, truthBoxes: [BoundingBox], detections: [BoundingBox]) {
        self.imageName = imageName
        self.className = className
        self.truthBoxes = truthBoxes
        self.detections = detections
    }
}

/// How well one detection overlaps the truth of its image and class: the largest IoU and the
/// largest IoBB over the truth boxes (0 and 0 when there is none), e.g. for an overlay caption.
public struct DetectionOverlap: Equatable, Sendable, Codable {
    public var detection: BoundingBox
    public var intersectionOverUnion: Double
    public var intersectionOverDetectedBox: Double
}

extension LocalizationCase {
    /// The best overlaps of each detection, in detection order.
    public var detectionOverlaps: [DetectionOverlap] {
        detections.map { detected in
            DetectionOverlap(
                detection: detected,
                intersectionOverUnion: truthBoxes.map { $0.intersectionOverUnion(with: detected) }.max() ?? 0,
                intersectionOverDetectedBox: truthBoxes.map { $0.intersectionOverDetectedBox(detected) }.max() ?? 0)
        }
    }
}

/// Accuracy and average false positives of one class at one threshold.
public struct ClassLocalization: Equatable, Sendable, Codable {
    public var className: String
    /// Heatmaps scored: (image, class) pairs.
    public var heatmaps: Int
    /// Truth boxes of the class.
    public var truthBoxes: Int
    /// Truth boxes matched by at least one detection of their image and class.
    public var localizedBoxes: Int
    /// Detections that match no truth box of their image and class.
    public var falsePositives: Int

    /// localizedBoxes / truthBoxes; nil when the class has no truth box.
    public var accuracy: Double? {
        truthBoxes > 0 ? Double(localizedBoxes) / Double(truthBoxes) : nil
    }

    /// falsePositives / heatmaps; nil when the class has no heatmap.
    public var averageFalsePositives: Double? {
        heatmaps > 0 ? Double(falsePositives) / Double(heatmaps) : nil
    }

    private enum CodingKeys: String, CodingKey {
        case className, heatmaps, truthBoxes, localizedBoxes, falsePositives, accuracy, averageFalsePositives
    }

    public init(className: String, heatmaps: Int, truthBoxes: Int, localizedBoxes: Int, falsePositives: Int) {
        self.className = className
        self.heatmaps = heatmaps
        self.truthBoxes = truthBoxes
        self.localizedBoxes = localizedBoxes
        self.falsePositives = falsePositives
    }

    /// Reads the counts; the ratios follow from them.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        className = try container.decode(String.self, forKey: .className)
        heatmaps = try container.decode(Int.self, forKey: .heatmaps)
        truthBoxes = try container.decode(Int.self, forKey: .truthBoxes)
        localizedBoxes = try container.decode(Int.self, forKey: .localizedBoxes)
        falsePositives = try container.decode(Int.self, forKey: .falsePositives)
    }

    /// Writes the counts and both ratios; an undefined ratio is an explicit JSON null.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(className, forKey: .className)
        try container.encode(heatmaps, forKey: .heatmaps)
        try container.encode(truthBoxes, forKey: .truthBoxes)
        try container.encode(localizedBoxes, forKey: .localizedBoxes)
        try container.encode(falsePositives, forKey: .falsePositives)
        try container.encode(accuracy, forKey: .accuracy)
        try container.encode(averageFalsePositives, forKey: .averageFalsePositives)
    }
}

/// Scores generated boxes against hand-drawn ones, as in the paper's Table 3.
///
/// The paper does not define its counting exactly; Thorax's choice:
/// - Only heatmaps of (image, class) pairs that have truth boxes are normally scored (the paper
///   evaluates the boxed classes of the boxed images). A case with no truth box is allowed and
///   then all its detections are false positives.
/// - Accuracy of class c: the fraction of c's truth boxes matched by at least one detection of
///   the same image and class. Any of the one to three boxes may be "the" detection: a heatmap
///   whose second box hits the finding localizes it.
/// - False positives of class c: detections that match no truth box of the same image and
///   class; AFP is their number divided by the number of c's heatmaps (so AFP is per image,
///   between 0 and 3).
public enum LocalizationScoring {
    /// Scores every class at one threshold.
    ///
    /// - Parameters:
    ///   - cases: one per (image, class) pair.
    ///   - classNames: the classes to report, in table order (e.g. the eight boxed classes);
    ///     a class with no case gets zero counts and undefined accuracy and AFP.
    ///   - threshold: criterion and T.
    /// - Returns: one result per class name.
    /// - Throws: `EvaluationError.unknownClass` naming the image of a case whose class is not in
    ///   `classNames`; `EvaluationError.invalidParameter` naming an (image, class) pair given twice.
    public static func score(
        cases: [LocalizationCase], classNames: [String], threshold: LocalizationThreshold
    ) throws -> [ClassLocalization] {
        try validate(cases: cases, classNames: classNames)
        var results = classNames.map {
            ClassLocalization(className: $0, heatmaps: 0, truthBoxes: 0, localizedBoxes: 0, falsePositives: 0)
        }
        let classIndex = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        for scored in cases {
            let c = classIndex[scored.className]!
            results[c].heatmaps += 1
            results[c].truthBoxes += scored.truthBoxes.count
            results[c].localizedBoxes += scored.truthBoxes.filter { truth in
                scored.detections.contains { threshold.matches(truth: truth, detected: $0) }
            }.count
            results[c].falsePositives += scored.detections.filter { detected in
                !scored.truthBoxes.contains { threshold.matches(truth: $0, detected: detected) }
            }.count
        }
        return results
    }

    /// Scores every class at every threshold: the paper's localization table.
    ///
    /// - Throws: as `score(cases:classNames:threshold:)`.
    public static func table(
        cases: [LocalizationCase], classNames: [String],
        thresholds: [LocalizationThreshold] = LocalizationThreshold.paper, model: String = ""
    ) throws -> LocalizationTable {
        let rows = try thresholds.map { threshold in
            LocalizationTable.Row(threshold: threshold,
                                  classes: try score(cases: cases, classNames: classNames, threshold: threshold))
        }
        return LocalizationTable(model: model, classNames: classNames, rows: rows)
    }

    private static func validate(cases: [LocalizationCase], classNames: [String]) throws {
        let known = Set(classNames)
        guard known.count == classNames.count else {
            throw EvaluationError.invalidParameter("class names repeat: \(classNames.joined(separator: ", "))")
        }
        var seen = Set<String>()
        for scored in cases {
            guard known.contains(scored.className) else {
                throw EvaluationError.unknownClass(image: scored.imageName, className: scored.className)
            }
            let key = scored.imageName + "\u{0}" + scored.className
            guard seen.insert(key).inserted else {
                throw EvaluationError.invalidParameter(
                    "\(scored.imageName): class \(scored.className) is given twice; merge its truth boxes into one case")
            }
        }
    }
}
