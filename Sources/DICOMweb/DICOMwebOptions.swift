import Foundation

/// Settings of the DICOMweb service, passed in (nothing is read from the environment here).
public struct DICOMwebOptions: Sendable {
    /// Where stored instances go: `<dataDirectory>/instances/<SOP Instance UID>.dcm`.
    public var dataDirectory: URL
    /// The base of the Retrieve URLs and BulkDataURIs in responses, e.g.
    /// "https://cad.example.org/dicom-web"; nil: "http://<Host header>/dicom-web".
    public var baseURL: String?
    /// The port the server listens on, once known: added to a Host header that names none
    /// (dicomweb-client sends the host alone), so that the URLs in responses reach this server.
    public var listeningPort: ListeningPort?
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
    /// The collection SR reports stored over STOW-RS are filed under (`reports.source`; `db
    /// import-reports --source` names the collection of reports read from files).
    public var reportSource: String

    public init(dataDirectory: URL, baseURL: String? = nil, listeningPort: ListeningPort? = nil, maximumBodyBytes: Int = 256 << 20,
                reportSeriesNumber: Int = 9901, figureSeriesNumber: Int = 9902, inlineBinaryLimit: Int = 64 << 10,
                maximumSearchResults: Int = 1000, jpegQuality: Int = 90, reportSource: String = "dicomweb") {
        self.dataDirectory = dataDirectory
        self.baseURL = baseURL
        self.listeningPort = listeningPort
        self.maximumBodyBytes = maximumBodyBytes
        self.reportSeriesNumber = reportSeriesNumber
        self.figureSeriesNumber = figureSeriesNumber
        self.inlineBinaryLimit = inlineBinaryLimit
        self.maximumSearchResults = maximumSearchResults
        self.jpegQuality = jpegQuality
        self.reportSource = reportSource
    }
}

/// The port a server listens on, set once it is bound (`--port 0` picks one then) and read by
/// requests after.
public final class ListeningPort: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: Int?

    public init(_ port: Int? = nil) {
        value = port
    }

    public var port: Int? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
