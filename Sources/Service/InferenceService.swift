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

/// Routes another module adds to the service (DICOMweb: STOW-RS, QIDO-RS, WADO-RS). Each is
/// called once with the router as it is built, after the service's middleware (request log,
/// metrics, error bodies, bearer token), so those apply to its routes too.
public typealias RouteRegistration = @Sendable (Router<BasicRequestContext>) -> Void

/// The HTTP service: the Open Inference Protocol v2 and the plain image endpoint over the models
/// of a `ModelRepository`, `/metrics`, and any `additionalRoutes`.
public struct InferenceService: Sendable {
    public let repository: ModelRepository
    public let options: ServiceOptions
    public let logger: Logger
    public let metrics: ServiceMetrics
    /// The predictions `/v1/predict` keeps for their figures.
    public let cache: PredictionCache
    /// Routes of other modules, registered after the service's own.
    public let additionalRoutes: [RouteRegistration]

    public init(repository: ModelRepository, options: ServiceOptions, logger: Logger,
                metrics: ServiceMetrics = ServiceMetrics(), cache: PredictionCache = PredictionCache(),
                additionalRoutes: [RouteRegistration] = []) {
        self.repository = repository
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.cache = cache
        self.additionalRoutes = additionalRoutes
    }

    /// The router with every endpoint and, outermost first, the request log, the metrics, the
    /// error bodies and (with a token) the bearer check.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware(logger: logger))
        if let token = options.bearerToken {
            router.add(middleware: BearerTokenMiddleware(token: token, exempt: [OpenInferenceRoutes.livePath, OpenInferenceRoutes.readyPath]))
        }
        OpenInferenceRoutes(repository: repository, options: options).register(on: router)
        ImageRoutes(repository: repository, cache: cache, options: options, metrics: metrics).register(on: router)
        router.get("/metrics") { [metrics] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        for registration in additionalRoutes { registration(router) }
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
