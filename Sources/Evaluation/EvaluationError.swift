import Foundation

/// Why a metric, a localization score or a report could not be computed or written.
///
/// Every case names what was wrong (the image, row or class, and the value) so that a command can
/// show it as it is.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// `scores` and `labels` (or another pair of parallel arrays) differ in length.
    case lengthMismatch(what: String, expected: Int, found: Int)
    /// A score is NaN or infinite; AUC and ROC are meaningless then.
    case nonFiniteScore(what: String, index: Int, value: Double)
    /// Row `row` of a matrix has `found` columns instead of `expected`.
    case raggedRow(what: String, row: Int, expected: Int, found: Int)
    /// A parameter is outside its documented range.
    case invalidParameter(String)
    /// A localization case names a class that is not among the table's classes.
    case unknownClass(image: String, className: String)
    /// A file could not be written; `reason` is the system's message.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .lengthMismatch(what, expected, found):
            return "\(what): expected \(expected) values, found \(found)"
        case let .nonFiniteScore(what, index, value):
            return "\(what): value \(index) is \(value), not a finite number"
        case let .raggedRow(what, row, expected, found):
            return "\(what): row \(row) has \(found) columns, expected \(expected)"
        case let .invalidParameter(message):
            return message
        case let .unknownClass(image, className):
            return "\(image): class \"\(className)\" is not among the classes being scored"
        case let .cannotWrite(path, reason):
            return "\(path): cannot write: \(reason)"
        }
    }
}
