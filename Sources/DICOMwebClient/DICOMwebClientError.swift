/// Why a request to another DICOMweb server failed. Messages name the URL and what came back;
/// never a patient (a response body is not repeated, since it may quote one).
public struct DICOMwebClientError: Error, CustomStringConvertible, Sendable {
    /// Whether trying the same request again may succeed: no answer, a timeout, 408, 429 or 5xx.
    public var isTransient: Bool
    public var description: String

    public init(_ description: String, isTransient: Bool) {
        self.description = description
        self.isTransient = isTransient
    }

    /// The error of an HTTP answer with `status` to `method url`: transient for 408, 429 and 5xx.
    static func status(_ status: Int, method: String, url: String) -> DICOMwebClientError {
        DICOMwebClientError("\(method) \(url) answered HTTP \(status)", isTransient: status == 408 || status == 429 || status >= 500)
    }
}
