/// Why a multipart body or its Content-Type cannot be read; parts are numbered from 1.
public enum MultipartError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedContentType(String, reason: String)
    case notMultipart(String)
    case missingBoundary(String)
    case invalidBoundary(String, reason: String)
    /// No "--boundary" line was found where the first part should start.
    case noOpeningBoundary
    /// Something other than padding and CRLF follows a boundary.
    case malformedBoundaryLine(part: Int)
    case malformedHeader(part: Int, line: String)
    case headersTooLarge(part: Int, limit: Int)
    case missingContentType(part: Int)
    case partTooLarge(part: Int, limit: Int)
    case tooManyParts(limit: Int)
    /// The body ended before the closing "--boundary--" (inside part `part`, or before the first).
    case truncated(part: Int?)
    /// A part body contains the delimiter, or a header has a line break (writer).
    case unencodable(String)

    public var description: String {
        switch self {
        case .malformedContentType(let value, let reason): return "malformed Content-Type \(value.debugDescription): \(reason)"
        case .notMultipart(let value): return "Content-Type \(value.debugDescription) is not multipart"
        case .missingBoundary(let value): return "Content-Type \(value.debugDescription) has no boundary parameter"
        case .invalidBoundary(let boundary, let reason): return "invalid multipart boundary \(boundary.debugDescription): \(reason)"
        case .noOpeningBoundary: return "multipart body does not start with its boundary"
        case .malformedBoundaryLine(let part): return "multipart body: the boundary line before part \(part) does not end in CRLF"
        case .malformedHeader(let part, let line): return "multipart part \(part): malformed header line \(line.debugDescription)"
        case .headersTooLarge(let part, let limit): return "multipart part \(part): headers exceed \(limit) bytes"
        case .missingContentType(let part): return "multipart part \(part) has no Content-Type header"
        case .partTooLarge(let part, let limit): return "multipart part \(part) exceeds \(limit) bytes"
        case .tooManyParts(let limit): return "multipart body has more than \(limit) parts"
        case .truncated(let part):
            return part.map { "multipart body is truncated: it ends inside part \($0), before the closing boundary" }
                ?? "multipart body is truncated: it ends before its first boundary"
        case .unencodable(let reason): return "cannot write multipart body: \(reason)"
        }
    }
}
