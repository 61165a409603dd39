import Evaluation
import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
import Logging
import Pipeline
import Service
import TestSupport
import XCTest

/// The bundled model (EfficientNet-Lite0 at 256 px, output stride 16) served as the service serves it, and the
/// library's own answers to compare with.
enum BundledModel {
    static let directory = SharedData.repositoryRoot.appendingPathComponent("Models/default")
    static let samples = SharedData.repositoryRoot.appendingPathComponent("Samples/nih/images")

    /// Loaded once for all tests (a few seconds in a debug build); a long queue delay is not
    /// needed here, so requests of one test run alone unless they arrive together.
    static let served = Task { try await PipelineInferenceModel.load(name: "default", directory: directory) }

    /// The first `count` sample PNGs, in name order.
    static func sampleFiles(_ count: Int) throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".png") }.sorted()
        return names.prefix(count).map { samples.appendingPathComponent($0) }
    }

    /// What `thorax predict` computes for `files`: the library's runner path, on a model of its own.
    static func libraryPredictions(_ files: [URL], heatmaps: Bool) throws -> [(image: GrayscaleImage, prediction: Prediction)] {
        let model = try ChestModel.load(directory: directory)
        let images = try files.map { try ImageDecoder.decode(contentsOf: $0) }
        return zip(images, try model.classify(images, heatmaps: heatmaps)).map { ($0, $1) }
    }
}

/// Runs `body` against the service serving `model` through Hummingbird's in-process test client.
func withModelService(_ model: any InferenceModel, options: ServiceOptions = ServiceOptions(serverVersion: "0.9.0"),
                      metrics: ServiceMetrics = ServiceMetrics(), cache: PredictionCache = PredictionCache(),
                      additionalRoutes: [RouteRegistration] = [],
                      _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let repository = ModelRepository()
    await repository.finishLoading(model)
    var logger = Logger(label: "thorax.service.tests")
    logger.logLevel = .critical
    let service = InferenceService(repository: repository, options: options, logger: logger, metrics: metrics, cache: cache,
                                   additionalRoutes: additionalRoutes)
    let application = Application(router: service.router(), logger: logger)
    try await application.test(.router) { client in try await body(client) }
}

func imageHeaders(_ contentType: String, token: String? = nil) -> HTTPFields {
    var headers: HTTPFields = [.contentType: contentType]
    if let token { headers[.authorization] = "Bearer \(token)" }
    return headers
}

/// The probabilities of `/v1/predict`'s answer, in class order.
func probabilities(_ json: [String: Any]) -> [Float] {
    ((json["classes"] as? [[String: Any]]) ?? []).compactMap { ($0["probability"] as? NSNumber)?.floatValue }
}
