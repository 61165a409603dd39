import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Reports
import Service
import Store
import TestSupport
import Viewer
import XCTest

/// A database of the bundled samples (the NIH sample release with copies of its images, the
/// OpenI sample reports) behind the viewer's routes on the service's router, through
/// HummingbirdTesting's router client (no sockets).
struct ViewerFixture: Sendable {
    let directory: URL
    let database: ThoraxDatabase
    let imagesDirectory: URL
    let thumbnailDirectory: URL
    let cache: PredictionCache

    static let samples = SharedData.repositoryRoot.appendingPathComponent("Samples")

    /// The id of the image named `name`.
    func id(_ name: String) throws -> Int64 {
        try XCTUnwrap(try database.images(forFiles: [name]).first??.id)
    }

    /// Registers a model named `name` over `classes` (its weights are the name's bytes, so
    /// each name is a different model) and stores its probabilities of the named images.
    func storeModel(_ name: String, classes: [String], probabilities: [String: [Float]]) throws -> Int64 {
        let model = directory.appendingPathComponent("models/\(name)")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let card: [String: Any] = ["formatVersion": 1, "architecture": "resnet18", "classes": classes,
                                   "thresholds": classes.map { _ in 0.5 }, "created": "2026-11-26T12:00:00Z", "thoraxVersion": "0.1.0"]
        try JSONSerialization.data(withJSONObject: card).write(to: model.appendingPathComponent("model.json"))
        try Data(name.utf8).write(to: model.appendingPathComponent("model.safetensors"))
        let record = try ModelRecord.read(directory: model, name: name)
        let results = try probabilities.map { ImageProbabilities(imageID: try id($0.key), probabilities: $0.value) }
        return try database.storePredictions(results, of: record).model.id
    }
}

func withViewer(labelToken: String? = nil,
                _ body: @Sendable (ViewerFixture, any TestClientProtocol) async throws -> Void) async throws {
    let directory = try SharedData.temporaryDirectory("thorax-viewer")
    defer { try? FileManager.default.removeItem(at: directory) }
    let nih = ViewerFixture.samples.appendingPathComponent("nih")
    let images = directory.appendingPathComponent("images")
    try FileManager.default.copyItem(at: nih.appendingPathComponent("images"), to: images)
    let database = try ThoraxDatabase(path: directory.appendingPathComponent("thorax.sqlite").path)
    try database.importNIH(try NIHRelease.read(
        dataEntry: nih.appendingPathComponent("Data_Entry_2017_v2020.csv"), boxes: nih.appendingPathComponent("BBox_List_2017.csv"),
        trainValidationList: nih.appendingPathComponent("train_val_list.txt"), testList: nih.appendingPathComponent("test_list.txt")),
        imagesDirectory: images)
    try database.importReports(ReportReader(paths: [ViewerFixture.samples.appendingPathComponent("openi/reports").path]),
                               source: "openi", labeler: ReportLabeler())
    let fixture = ViewerFixture(directory: directory, database: database, imagesDirectory: images,
                                thumbnailDirectory: directory.appendingPathComponent("thumbnails"), cache: PredictionCache())
    let logger = Logger(label: "thorax.viewer.tests") { _ in SwiftLogNoOpLogHandler() }
    let router = InferenceService(repository: ModelRepository(), options: ServiceOptions(serverVersion: "test"), logger: logger,
                                  cache: fixture.cache).router()
    try ViewerRoutes.register(on: router, database: database, cache: fixture.cache,
                              options: ViewerOptions(thumbnailDirectory: fixture.thumbnailDirectory, labelToken: labelToken),
                              logger: logger)
    try await Application(router: router, logger: logger).test(.router) { client in try await body(fixture, client) }
}

/// The response body as JSON (an object or array).
func json(_ response: TestResponse) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(buffer: response.body))
}
