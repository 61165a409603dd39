import HTTPTypes

/// An error a request is answered with: its HTTP status and a message for the client (the
/// Open Inference Protocol's `{"error": "…"}`). Messages name the request's part that is wrong
/// and never carry patient data.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    public static func badRequest(_ message: String) -> ServiceError { ServiceError(.badRequest, message) }
    public static func notFound(_ message: String) -> ServiceError { ServiceError(.notFound, message) }
}
