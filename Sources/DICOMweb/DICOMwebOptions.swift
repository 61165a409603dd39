import Foundation

/// Settings of the DICOMweb service, passed in (nothing is read from the environment here).
public struct DICOMwebOptions: Sendable {
    /// Where stored instances go: `<dataDirectory>/instances/<SOP Instance UID>.dcm`.
    public var dataDirectory: URL
    /// The base of the Retrieve URLs in responses, e.g. "https://cad.example.org/dicom-web";
    /// nil: "http://<Host header>/dicom-web".
    public var baseURL: String?
    /// Larger request bodies get 413.
    public var maximumBodyBytes: Int
    /// The Series Number of each measurement report's series and of each figure series.
    public var reportSeriesNumber: Int
    public var figureSeriesNumber: Int
    /// Binary values up to this many bytes appear in metadata as InlineBinary; larger ones, and
    /// pixel data, are left out (retrieve the instance for them).
    public var inlineBinaryLimit: Int
    /// Most matches one search returns; a search that has more says so in a Warning header.
    public var maximumSearchResults: Int
    /// Quality (1–100) of rendered JPEG images.
    public var jpegQuality: Int

    public init(dataDirectory: URL, baseURL: String? = nil, maximumBodyBytes: Int = 256 << 20,
                reportSeriesNumber: Int = 9901, figureSeriesNumber: Int = 9902, inlineBinaryLimit: Int = 64 << 10,
                maximumSearchResults: Int = 1000, jpegQuality: Int = 90) {
        self.dataDirectory = dataDirectory
        self.baseURL = baseURL
        self.maximumBodyBytes = maximumBodyBytes
        self.reportSeriesNumber = reportSeriesNumber
        self.figureSeriesNumber = figureSeriesNumber
        self.inlineBinaryLimit = inlineBinaryLimit
        self.maximumSearchResults = maximumSearchResults
        self.jpegQuality = jpegQuality
    }
}
