import Hummingbird
import Logging

/// Settings of the service, passed in (nothing is read from the environment here).
public struct ServiceOptions: Sendable {
    /// The server's name and version in `GET /v2`.
    public var serverName: String
    public var serverVersion: String
    /// When set, every request except the health checks needs `Authorization: Bearer <token>`.
    public var bearerToken: String?
    /// Larger request bodies get 413.
    public var maximumBodyBytes: Int

    public init(serverName: String = "thorax", serverVersion: String, bearerToken: String? = nil,
                maximumBodyBytes: Int = 256 << 20) {
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.bearerToken = bearerToken
        self.maximumBodyBytes = maximumBodyBytes
    }
}

/// The HTTP service: the Open Inference Protocol v2 over the models of a `ModelRepository`.
public struct InferenceService: Sendable {
    public let repository: ModelRepository
    public let options: ServiceOptions
    public let logger: Logger

    public init(repository: ModelRepository, options: ServiceOptions, logger: Logger) {
        self.repository = repository
        self.options = options
        self.logger = logger
    }

    /// The router with every endpoint and, outermost first, the request log, the error
    /// bodies and (with a token) the bearer check.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.add(middleware: ErrorMiddleware(logger: logger))
        if let token = options.bearerToken {
            router.add(middleware: BearerTokenMiddleware(token: token, exempt: [OpenInferenceRoutes.livePath, OpenInferenceRoutes.readyPath]))
        }
        OpenInferenceRoutes(repository: repository, options: options).register(on: router)
        return router
    }

    /// The application serving `router()` on `host`:`port` (0: an ephemeral port, reported to
    /// `onServerRunning`). Run it with `runService()`, which stops gracefully on SIGTERM and SIGINT.
    public func application(host: String, port: Int,
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(), configuration: ApplicationConfiguration(address: .hostname(host, port: port),
                                                                              serverName: options.serverName),
                    onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
                    logger: logger)
    }
}
