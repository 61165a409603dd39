import DICOMResults
import DICOMweb
import Evaluation
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import Pipeline
import Service
import XCTest

/// DICOMweb predicts stored images with the model the service already serves
/// (`ServedModelPredictor` over its `PipelineInferenceModel`): a STOW-RS request and a
/// /v1/predict request that arrive together run in one forward pass of the one network, and
/// give the same prediction for the same image.
final class SharedModelTests: XCTestCase {
    func testAStoreAndAPlainRequestShareOneBatchAndAgree() async throws {
        let metrics = ServiceMetrics()
        let directory = try ModelDirectory.resolve(ModelDirectory.defaultName)
        // Batches of two, and a first image that waits up to 30 s for a second: the two
        // requests can only be answered from one forward pass.
        let model = try await PipelineInferenceModel.load(
            name: "default", directory: directory,
            options: ModelServingOptions(batching: BatchingOptions(maximumBatchSize: 2, maximumQueueDelay: .seconds(30))),
            metrics: metrics)
        defer { model.shutdown() }
        let repository = ModelRepository()
        await repository.finishLoading(model)
        let recorder = RecordingPredictor(try ServedModelPredictor(directory: directory) { model })
        XCTAssertEqual(recorder.algorithm, try BundledModel.load().algorithm, "the same algorithm as a model loaded on its own")

        try await withDICOMweb(predictor: recorder, repository: repository, metrics: metrics) { fixture, client in
            let instance = TestInstance()
            let (body, headers) = try StowBody.make([instance.bytes])
            async let stored: Void = client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .ok, String(decoding: response.bytes, as: UTF8.self))
            }
            async let plain: [Float] = client.execute(uri: "/v1/predict", method: .post, headers: [.contentType: "application/dicom"],
                                                      body: ByteBuffer(bytes: instance.bytes)) { response in
                XCTAssertEqual(response.status, .ok, String(decoding: response.bytes, as: UTF8.self))
                let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any])
                return ((json["classes"] as? [[String: Any]]) ?? []).compactMap { ($0["probability"] as? NSNumber)?.floatValue }
            }
            let (_, probabilities) = try await (stored, plain)
            let predictions = recorder.predictions
            XCTAssertEqual(predictions.count, 1)
            let storedProbabilities = try XCTUnwrap(predictions.first).probabilities
            XCTAssertEqual(probabilities.count, 14)
            XCTAssertEqual(storedProbabilities.count, 14)
            for (a, b) in zip(storedProbabilities, probabilities) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            XCTAssertEqual(try XCTUnwrap(predictions.first).heatmaps.count, 14, "stored images get their heatmaps for the results")

            let text = metrics.text()
            XCTAssertTrue(text.contains("thorax_batch_size_images_count{model=\"default\"} 1\n"), text)
            XCTAssertTrue(text.contains("thorax_batch_size_images_sum{model=\"default\"} 2.0\n"), text)
            XCTAssertEqual(try fixture.counts().instances, 2 + predictions[0].presentClasses.count,
                           "the source, its report and a figure per present class")
        }
    }

    func testAStoreWaitsForTheServedModelToLoad() async throws {
        let directory = try ModelDirectory.resolve(ModelDirectory.defaultName)
        let loading = Task { try await PipelineInferenceModel.load(name: "default", directory: directory) }
        let predictor = try ServedModelPredictor(directory: directory) { try await loading.value }
        try await withDICOMweb(predictor: predictor) { fixture, client in
            let instance = TestInstance()
            try await store([instance.bytes], client)
            XCTAssertEqual(try fixture.database.storedDICOMInstance(uid: instance.sopInstanceUID)?.sopInstanceUID,
                           instance.sopInstanceUID)
        }
        try await loading.value.shutdown()
        // A model that failed to load fails each instance alone with 0110, storing nothing.
        let failing = try ServedModelPredictor(directory: directory) { throw CancellationError() }
        try await withDICOMweb(predictor: failing) { fixture, client in
            let (body, headers) = try StowBody.make([TestInstance().bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .conflict)
                let failed = items(try XCTUnwrap(try response.dataSets().first), "00081198")
                XCTAssertEqual(failed.compactMap { integer($0, "00081197") }, [0x0110])
            }
            XCTAssertEqual(try fixture.counts().all, [0, 0, 0, 0, 0])
        }
    }
}

/// An `InstancePredictor` that keeps every prediction the one it wraps made.
final class RecordingPredictor: InstancePredictor, @unchecked Sendable {
    // @unchecked Sendable: `recorded` is only touched under `lock`.
    private let wrapped: any InstancePredictor
    private let lock = NSLock()
    private var recorded: [Prediction] = []

    init(_ wrapped: any InstancePredictor) {
        self.wrapped = wrapped
    }

    var algorithm: AlgorithmIdentity { wrapped.algorithm }

    var predictions: [Prediction] {
        lock.withLock { recorded }
    }

    func predict(_ image: GrayscaleImage) async throws -> Prediction {
        let prediction = try await wrapped.predict(image)
        lock.withLock { recorded.append(prediction) }
        return prediction
    }
}
