import Evaluation
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import Pipeline
import Service
import XCTest

/// `POST /v1/predict` and the figures, with the real bundled model.
final class ImageEndpointTests: XCTestCase {
    /// The answer per class equals the library's prediction of the same file (`thorax predict`'s path).
    func testPredictAnswersAsThePipeline() async throws {
        let model = try await BundledModel.served.value
        let files = try BundledModel.sampleFiles(3)
        let library = try BundledModel.libraryPredictions(files, heatmaps: false)
        try await withModelService(model) { client in
            for (file, expected) in zip(files, library) {
                let body = ByteBuffer(bytes: try Data(contentsOf: file))
                try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("image/png"), body: body) { response in
                    XCTAssertEqual(response.status, .ok, String(buffer: response.body))
                    let json = try response.json()
                    XCTAssertEqual(json["model"] as? String, "default")
                    XCTAssertEqual(json["width"] as? Int, expected.image.width)
                    XCTAssertEqual(json["height"] as? Int, expected.image.height)
                    XCTAssertNil(json["id"], "no heatmaps asked, nothing kept")
                    assertClose(probabilities(json), expected.prediction.probabilities, accuracy: 1e-5)
                    let classes = try XCTUnwrap(json["classes"] as? [[String: Any]])
                    XCTAssertEqual(classes.map { $0["class"] as? String }, expected.prediction.classes.map(\.className))
                    XCTAssertEqual(classes.map { $0["present"] as? Bool }, expected.prediction.classes.map(\.present))
                    XCTAssertEqual(classes.map { ($0["threshold"] as? NSNumber)?.floatValue }, expected.prediction.classes.map(\.threshold))
                    XCTAssertTrue(classes.allSatisfy { $0["boxes"] == nil })
                }
            }
        }
    }

    /// With heatmaps=all every class has the boxes `thorax predict --heatmaps` draws, in the
    /// image's pixels, and a figure equal to the library's.
    func testHeatmapsGiveBoxesInTheImageFrameAndFigures() async throws {
        let model = try await BundledModel.served.value
        let file = try BundledModel.sampleFiles(1)[0]
        let expected = try BundledModel.libraryPredictions([file], heatmaps: true)[0]
        let drawing = ImageHeatmaps(image: expected.image, prediction: expected.prediction)
        try await withModelService(model) { client in
            let body = ByteBuffer(bytes: try Data(contentsOf: file))
            let json = try await client.execute(uri: "/v1/predict?heatmaps=all", method: .post, headers: imageHeaders("image/png"),
                                                body: body) { response in
                XCTAssertEqual(response.status, .ok)
                return try response.json()
            }
            let id = try XCTUnwrap(json["id"] as? String)
            let classes = try XCTUnwrap(json["classes"] as? [[String: Any]])
            XCTAssertEqual(classes.count, 14)
            for (index, entry) in classes.enumerated() {
                let boxes = try XCTUnwrap(entry["boxes"] as? [[String: Double]], "class \(index)")
                let want = drawing.boxes(ofClass: index)
                XCTAssertEqual(boxes.map { BoundingBox(x: $0["x"]!, y: $0["y"]!, width: $0["width"]!, height: $0["height"]!) }, want)
                XCTAssertFalse(boxes.isEmpty, "a CAM of a real image has a hot region")
                for box in want {
                    XCTAssertTrue(box.x >= 0 && box.y >= 0 && box.x + box.width <= Double(expected.image.width)
                                  && box.y + box.height <= Double(expected.image.height), "\(box) in the image frame")
                }
                let name = try XCTUnwrap(entry["class"] as? String)
                XCTAssertEqual(entry["heatmap"] as? String, "/v1/predictions/\(id)/heatmaps/\(name).png")
            }
            try await client.execute(uri: "/v1/predictions/\(id)/heatmaps/Effusion.png", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "image/png")
                let decoded = try PNGCodec.decodeSamples(Data(response.bytes), name: "figure")
                XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [expected.image.width, expected.image.height, 3])
                let figure = drawing.figure(ofClass: 2, boxes: drawing.boxes(ofClass: 2))
                XCTAssertEqual(decoded.samples.map { UInt8($0) }, figure.pixels)
            }
            try await client.execute(uri: "/v1/predictions/\(id)/heatmaps/Nothing.png", method: .get) {
                XCTAssertEqual($0.status, .notFound)
                XCTAssertEqual($0.errorMessage, "prediction \"\(id)\" has no class \"Nothing\"")
            }
        }
    }

    /// heatmaps=present: boxes for the present classes only.
    func testPresentHeatmapsBoxOnlyThePresentClasses() async throws {
        let model = try await BundledModel.served.value
        let file = try BundledModel.sampleFiles(2)[1]
        try await withModelService(model) { client in
            try await client.execute(uri: "/v1/predict?heatmaps=present", method: .post, headers: imageHeaders("image/png"),
                                     body: ByteBuffer(bytes: try Data(contentsOf: file))) { response in
                let classes = try XCTUnwrap(try response.json()["classes"] as? [[String: Any]])
                for entry in classes {
                    XCTAssertEqual(entry["boxes"] != nil, entry["present"] as? Bool, "\(entry)")
                }
            }
        }
    }

    func testBadImageRequestsGetTheirStatus() async throws {
        let model = try await BundledModel.served.value
        let png = try Data(contentsOf: try BundledModel.sampleFiles(1)[0])
        try await withModelService(model, options: ServiceOptions(serverVersion: "1", maximumBodyBytes: 1 << 20)) { client in
            try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("text/plain"),
                                     body: ByteBuffer(bytes: png)) { response in
                XCTAssertEqual(response.status, .unsupportedMediaType)
                XCTAssertEqual(response.errorMessage, "Content-Type \"text/plain\" is not an image this service reads; "
                    + "send image/png, image/jpeg or application/dicom")
            }
            try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("image/png"),
                                     body: ByteBuffer(bytes: png.prefix(png.count / 2))) { response in
                XCTAssertEqual(response.status, .badRequest)
                let message = try XCTUnwrap(response.errorMessage)
                XCTAssertTrue(message.hasPrefix("the request body: PNG: "), message)
            }
            try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("image/jpeg"),
                                     body: ByteBuffer(bytes: png)) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertEqual(response.errorMessage, "the body is PNG, not image/jpeg as its Content-Type says")
            }
            try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("application/dicom"),
                                     body: ByteBuffer(string: "DICM? no")) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertEqual(response.errorMessage, "the request body: not a PNG, JPEG or DICOM Part 10 file (unrecognised first bytes)")
            }
            try await client.execute(uri: "/v1/predict?model=missing", method: .post, headers: imageHeaders("image/png"),
                                     body: ByteBuffer(bytes: png)) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(response.errorMessage, "unknown model \"missing\"")
            }
            try await client.execute(uri: "/v1/predict?heatmaps=some", method: .post, headers: imageHeaders("image/png"),
                                     body: ByteBuffer(bytes: png)) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertEqual(response.errorMessage, "heatmaps=some is not one of none, present, all")
            }
            // (A declared 2 GB body is refused from its Content-Length in ServeCommandTests, over a
            // socket: the in-process client sets Content-Length from the body it is given.)
            let large = ByteBuffer(bytes: png + [UInt8](repeating: 0, count: 1 << 20))
            try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("image/png"), body: large) { response in
                XCTAssertEqual(response.status, .contentTooLarge)
                XCTAssertTrue(response.errorMessage?.hasPrefix("the request body ") ?? false, "\(response.errorMessage ?? "")")
                XCTAssertTrue(response.errorMessage?.hasSuffix("exceeds the limit of 1048576 bytes") ?? false, "\(response.errorMessage ?? "")")
            }
            try await client.execute(uri: "/v1/predictions/0000/heatmaps/Effusion.png", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
            }
        }
    }

    func testTheTokenGuardsTheImageEndpoint() async throws {
        let model = try await BundledModel.served.value
        let png = try Data(contentsOf: try BundledModel.sampleFiles(1)[0])
        try await withModelService(model, options: ServiceOptions(serverVersion: "1", bearerToken: "s3cret")) { client in
            try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("image/png"), body: ByteBuffer(bytes: png)) {
                XCTAssertEqual($0.status, .unauthorized)
            }
            try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("image/png", token: "s3cret"),
                                     body: ByteBuffer(bytes: png)) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/metrics", method: .get) { XCTAssertEqual($0.status, .unauthorized) }
        }
    }
}
