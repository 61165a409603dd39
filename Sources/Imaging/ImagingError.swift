/// A decoding or encoding failure: which file (or name given for in-memory data) and what is
/// wrong with it, e.g. `x.dcm: unsupported transfer syntax 1.2.840.10008.1.2.4.100 (MPEG2 Main
/// Profile / Main Level)`.
public struct ImagingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file path, or the name given to an in-memory decode.
    public var file: String
    /// What is wrong, in words.
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}
