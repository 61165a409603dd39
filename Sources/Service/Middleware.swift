import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into the protocol's `{"error": "…"}` body: a `ServiceError` with its
/// status and message, Hummingbird's own (no route: 404; body over the limit: 413) with a
/// sentence for their status, anything else 500 without its details, which go to the log.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError {
            return Responses.error(error)
        } catch let error as any HTTPResponseError {
            let message: String
            switch error.status {
            case .notFound: message = "no endpoint \(request.method) \(request.uri.path)"
            case .contentTooLarge: message = "the request body is larger than this service accepts"
            default: message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            }
            return Responses.error(ServiceError(error.status, message))
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Responses.error(ServiceError(.internalServerError, "internal error"))
        }
    }
}

/// With a token configured, every request but the health checks must carry
/// `Authorization: Bearer <token>`; others get 401. The token is compared in constant time.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    /// Paths open without a token (the health checks orchestrators probe).
    let exempt: Set<String>

    init(token: String, exempt: Set<String>) {
        self.token = Array(token.utf8)
        self.exempt = exempt
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if exempt.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.count > 7,
              header.prefix(7).lowercased() == "bearer ",
              BearerTokenMiddleware.equalInConstantTime(Array(header.dropFirst(7).utf8), token) else {
            var response = Responses.error(ServiceError(.unauthorized, "missing or wrong bearer token (Authorization: Bearer <token>)"))
            response.headers[.wwwAuthenticate] = "Bearer realm=\"thorax\""
            return response
        }
        return try await next(request, context)
    }

    /// Whether `presented` equals `expected`, in time that depends only on their lengths:
    /// every byte of `expected` is compared, with no early exit.
    static func equalInConstantTime(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        for index in expected.indices {
            difference |= (index < presented.count ? presented[index] : 0) ^ expected[index]
        }
        return difference == 0
    }
}

/// One log line per request: method, path, status and duration.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let duration = ContinuousClock.now - start
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        logger.info("\(request.method) \(request.uri.path) \(response.status.code)",
                    metadata: ["status": "\(response.status.code)", "milliseconds": "\(String(format: "%.1f", milliseconds))"])
        return response
    }
}

/// Counts every request with its route template and final status, and times it.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status,
                                  duration: ContinuousClock.now - start)
        }
        let response = try await next(request, context)
        status = response.status.code
        return response
    }
}

/// Response bodies.
enum Responses {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let bytes = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ error: ServiceError) -> Response {
        json(ErrorMessage(error: error.message), status: error.status)
    }

    /// A health answer: the status alone, with an empty body, as the protocol asks.
    static func health(_ healthy: Bool) -> Response {
        Response(status: healthy ? .ok : .badRequest)
    }
}
