/// A data set that cannot be written as valid DICOM: which element (a path through
/// sequences, e.g. `(0040,A730)[2] > (0040,A160)`) and what is wrong with its value.
public struct DICOMWriteError: Error, CustomStringConvertible, Equatable, Sendable {
    public var element: String
    public var reason: String

    public init(element: String, reason: String) {
        self.element = element
        self.reason = reason
    }

    public var description: String {
        element.isEmpty ? "DICOM writer: \(reason)" : "DICOM writer: element \(element): \(reason)"
    }
}
