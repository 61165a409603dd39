import Foundation

/// The localization benchmark as the paper's Table 3: for each threshold row (T(IoU), then
/// T(IoBB)), an accuracy line and an average-false-positive line, a column per class.
public struct LocalizationTable: Equatable, Sendable, Codable {
    public struct Row: Equatable, Sendable, Codable {
        public var threshold: LocalizationThreshold
        /// One per class, in `classNames` order.
        public var classes: [ClassLocalization]

        public init(threshold: LocalizationThreshold, classes: [ClassLocalization]) {
            self.threshold = threshold
            self.classes = classes
        }
    }

    public var model: String
    public var classNames: [String]
    public var rows: [Row]

    public init(model: String, classNames: [String], rows: [Row]) {
        self.model = model
        self.classNames = classNames
        self.rows = rows
    }
}
