import ArgumentParser
import DICOMweb
import DICOMwebClient
import Foundation
import Hummingbird
import Logging
import Pipeline
import Service
import Store
import Viewer

/// `thorax serve`: the CAD as an HTTP service (Open Inference Protocol v2, the plain image
/// endpoint, Prometheus metrics) until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the models over HTTP: Open Inference Protocol v2 (KServe, Triton clients) and a plain image endpoint.",
        discussion: """
        Loads each model on a thread of its own and answers /v2/health/ready once all are loaded. \
        Requests that arrive together run in one forward pass (at most --max-batch-size images, \
        the oldest waiting at most --max-queue-delay ms). Listens on 127.0.0.1 unless --host says \
        otherwise; --port 0 picks a free port. The first line on standard output is \
        "listening on http://HOST:PORT"; one log line per request goes to standard error. \
        SIGTERM or SIGINT stops taking connections, finishes the requests in flight and exits 0.

        With --token-file, every request except /v2/health/live and /v2/health/ready needs \
        "Authorization: Bearer <token>" (the file's first line).

        With --forward-results URL (a PACS's DICOMweb root, e.g. Orthanc's), each stored \
        instance's SR and Secondary Captures are sent to URL/studies over STOW-RS, tried up \
        to --forward-attempts times in all while it gives no answer or a 408, 429 or 5xx.

        Endpoints:
          GET  /v2, /v2/health/live, /v2/health/ready
          GET  /v2/models/NAME[/versions/V][/ready]
          POST /v2/models/NAME/infer   FP32 tensor [N,C,H,W] or BYTES images [N]
          POST /v1/predict[?model=NAME][&heatmaps=present|all]   (raw image body)
          GET  /v1/predictions/ID/heatmaps/CLASS.png   a class's figure
          GET  /metrics                Prometheus text format
          /dicom-web/studies…          DICOMweb: STOW-RS, QIDO-RS, WADO-RS (instances,
                                       metadata, rendered, frames, bulk data)
          GET  /                       the viewer (pages over /api/…)

        Examples:
          thorax serve --database thorax.sqlite --model default --port 8080
          curl -s --data-binary @chest.png -H 'Content-Type: image/png' \\
            http://127.0.0.1:8080/v1/predict
          curl -s --data-binary @study.dcm -H 'Content-Type: application/dicom' \\
            'http://127.0.0.1:8080/v1/predict?heatmaps=present'
          curl -s -o effusion.png \\
            http://127.0.0.1:8080/v1/predictions/ID/heatmaps/Effusion.png
          curl -s http://127.0.0.1:8080/v2/models/default
          curl -s http://127.0.0.1:8080/metrics
        """)

    @Option(help: "The database the service records into (created when absent, as `db import-dicom` does).")
    var database: String

    @Option(name: .customLong("model"), help: ArgumentHelp(
        "A model to serve: `default` (the bundled model), NAME=DIR, or a directory (named by its folder). Repeat for more.",
        valueName: "model"))
    var models: [String] = [ModelDirectory.defaultName]

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "A file whose first line is the bearer token every request but the health checks must carry.")
    var tokenFile: String?

    @Option(help: "A file whose first line is the token the viewer's human labels need (Authorization: Bearer).")
    var labelTokenFile: String?

    @Option(help: "The folder stored instances go to (default: thorax-data beside the database).")
    var dataDirectory: String?

    @Option(help: "oneDNN threads per model (default: all cores).")
    var threads: Int?

    @Option(help: "The most images one forward pass takes.")
    var maxBatchSize = 8

    @Option(help: "How long, in milliseconds, the oldest waiting image waits for others to join its batch.")
    var maxQueueDelay = 2

    @Option(help: "The largest request body, in MiB (larger ones get 413).")
    var maxBodySize = 256

    @Option(help: "How many predictions with heatmaps /v1/predict keeps for their figures (least recently used go first).")
    var cachedPredictions = 64

    @Option(help: ArgumentHelp(
        "A PACS's DICOMweb root (e.g. http://127.0.0.1:8042/dicom-web): each stored instance's SR and Secondary Captures are sent there over STOW-RS.",
        valueName: "url"))
    var forwardResults: String?

    @Option(help: "How many times a forward is tried before it is given up (logged by SOP Instance UID).")
    var forwardAttempts = 4

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535, got \(port)") }
        guard maxBatchSize >= 1 else { throw ValidationError("--max-batch-size must be at least 1, got \(maxBatchSize)") }
        guard maxQueueDelay >= 0 else { throw ValidationError("--max-queue-delay must not be negative, got \(maxQueueDelay)") }
        guard maxBodySize >= 1 else { throw ValidationError("--max-body-size must be at least 1 MiB, got \(maxBodySize)") }
        guard cachedPredictions >= 0 else { throw ValidationError("--cached-predictions must not be negative") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard forwardAttempts >= 1 else { throw ValidationError("--forward-attempts must be at least 1, got \(forwardAttempts)") }
        if let forwardResults {
            do { _ = try STOWClient(baseURL: forwardResults) } catch { throw ValidationError("--forward-results: \(error)") }
        }
    }

    func run() async throws {
        // Everything is checked before a socket is bound or a model loads.
        let served = try ServedModel.parse(models)
        let store = try ThoraxDatabase(path: database)
        let dataFolder = URL(fileURLWithPath: dataDirectory
            ?? (URL(fileURLWithPath: database).deletingLastPathComponent().appendingPathComponent("thorax-data").path))
        if let dataDirectory { try requireInputFolder(dataDirectory, option: "--data-directory") }
        let token = try tokenFile.map { try Self.readToken($0) }
        let labelToken = try labelTokenFile.map { try Self.readToken($0, option: "--label-token-file") }

        let logger = Logger(label: "thorax.serve", factory: { StreamLogHandler.standardError(label: $0) })
        let forwarder = try forwardResults.map {
            ResultForwarder(client: try STOWClient(baseURL: $0), policy: ForwardingPolicy(attempts: forwardAttempts), logger: logger)
        }
        let metrics = ServiceMetrics()
        let repository = ModelRepository()
        let serving = ModelServingOptions(
            batching: BatchingOptions(maximumBatchSize: maxBatchSize, maximumQueueDelay: .milliseconds(maxQueueDelay)),
            threads: threads)
        var loading: [String: Task<PipelineInferenceModel, any Error>] = [:]
        for model in served {
            let load = Task {
                try await PipelineInferenceModel.load(name: model.name, directory: model.directory, options: serving, metrics: metrics)
            }
            loading[model.name] = load
            await repository.load(model.name) { try await load.value }
        }
        let listeningPort = ListeningPort()
        let options = ServiceOptions(serverVersion: ThoraxVersion.string, bearerToken: token, maximumBodyBytes: maxBodySize << 20)
        let cache = PredictionCache(maximumEntries: cachedPredictions)
        let viewer = ViewerOptions(thumbnailDirectory: dataFolder.appendingPathComponent("thumbnails"), labelToken: labelToken)
        let service = InferenceService(repository: repository, options: options, logger: logger, metrics: metrics, cache: cache,
                                       additionalRoutes: try Self.routeRegistrations(database: store, dataDirectory: dataFolder,
                                                                                     model: served[0], loading: loading[served[0].name]!,
                                                                                     listeningPort: listeningPort,
                                                                                     maximumBodyBytes: maxBodySize << 20, logger: logger,
                                                                                     forwarder: forwarder)
                                           + [Self.viewerRegistration(database: store, cache: cache, options: viewer, logger: logger)])
        let host = self.host
        let application = service.application(host: host, port: port) { port in
            listeningPort.port = port
            // Unbuffered, one line: scripts and tests wait for it to learn the port.
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
        try await application.runService()
        await forwarder?.drain()
        for name in await repository.names {
            if case .ready(let model)? = await repository.state(of: name) { (model as? PipelineInferenceModel)?.shutdown() }
        }
    }

    /// The routes of other modules served beside the inference endpoints: DICOMweb (STOW-RS,
    /// QIDO-RS, WADO-RS under `/dicom-web`), filing instances in `database` and `dataDirectory` and
    /// predicting stored images with the first `--model`, through the same loaded model and
    /// batcher as its inference endpoints (`loading`), never a second copy of the network;
    /// and sending their results through `forwarder` when given.
    /// - Throws: when the data directory cannot be created or the model's card or weights cannot be read.
    static func routeRegistrations(database: ThoraxDatabase, dataDirectory: URL, model: ServedModel,
                                   loading: Task<PipelineInferenceModel, any Error>, listeningPort: ListeningPort,
                                   maximumBodyBytes: Int, logger: Logger,
                                   forwarder: ResultForwarder? = nil) throws -> [RouteRegistration] {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let predictor = try ServedModelPredictor(directory: model.directory) { try await loading.value }
        let options = DICOMwebOptions(dataDirectory: dataDirectory, listeningPort: listeningPort, maximumBodyBytes: maximumBodyBytes)
        return [{ router in
            do {
                try DICOMwebRoutes.register(on: router, database: database, predictor: predictor, options: options, logger: logger,
                                            forwarder: forwarder)
            } catch {
                // The directory exists (made above), so this is a folder that vanished or lost its permissions.
                logger.error("DICOMweb is not served: \(error)")
            }
        }]
    }

    /// The viewer (`/` and `/api/…`) over `database`, its maps from the predictions in `cache`.
    static func viewerRegistration(database: ThoraxDatabase, cache: PredictionCache, options: ViewerOptions,
                                   logger: Logger) -> RouteRegistration {
        { router in
            do {
                try ViewerRoutes.register(on: router, database: database, cache: cache, options: options, logger: logger)
            } catch {
                logger.error("the viewer is not served: \(error)")
            }
        }
    }

    /// The token file's first line, without surrounding white space.
    /// - Throws: `InputFileError` naming the file when it is missing, unreadable or has no token.
    static func readToken(_ path: String, option: String = "--token-file") throws -> String {
        try requireInputFile(path, option: option)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw InputFileError("\(path): not readable as UTF-8 text (\(option))")
        }
        let token = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard !token.isEmpty else { throw InputFileError("\(path): the first line holds no token (\(option))") }
        return token
    }
}

/// A `--model` value: the name the service gives the model and its directory.
struct ServedModel: Equatable {
    var name: String
    var directory: URL

    /// `default`, NAME=DIR or DIR (named by its folder), each resolved to a model directory.
    /// - Throws: `ChestModelError.modelNotFound` naming a directory without a model;
    ///   `ValidationError` for an empty name or one given twice.
    static func parse(_ values: [String]) throws -> [ServedModel] {
        var models: [ServedModel] = []
        for value in values {
            let name: String, path: String
            if let equals = value.firstIndex(of: "="), value != ModelDirectory.defaultName {
                name = String(value[..<equals])
                path = String(value[value.index(after: equals)...])
            } else {
                path = value
                name = value == ModelDirectory.defaultName ? value : URL(fileURLWithPath: value).lastPathComponent
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ValidationError("--model \(value): a model's name is letters, digits, '-', '_' and '.'")
            }
            guard !models.contains(where: { $0.name == name }) else {
                throw ValidationError("--model \(value): the name \(name) is given twice")
            }
            models.append(ServedModel(name: name, directory: try ModelDirectory.resolve(path)))
        }
        return models
    }
}
