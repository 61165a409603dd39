import Evaluation
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import Pipeline
import Service
import Store
import TestSupport
import Viewer
import XCTest

/// The viewer's endpoints over the bundled samples.
final class ViewerRoutesTests: XCTestCase {
    func testPagesAndScriptsAreServedWithTheirTypesAndNothingElse() async throws {
        try await withViewer { _, client in
            try await client.execute(uri: "/", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "text/html; charset=utf-8")
                XCTAssertTrue(String(buffer: response.body).contains("<title>Thorax viewer</title>"))
            }
            for (file, type) in [("app.js", "text/javascript; charset=utf-8"), ("film.js", "text/javascript; charset=utf-8"),
                                 ("style.css", "text/css; charset=utf-8")] {
                try await client.execute(uri: "/viewer/\(file)", method: .get) { response in
                    XCTAssertEqual(response.status, .ok, file)
                    XCTAssertEqual(response.headers[.contentType], type, file)
                    XCTAssertGreaterThan(response.body.readableBytes, 100, file)
                }
            }
            // Names outside the resources, however spelt, are not found: nothing is read from disk.
            for path in ["/viewer/../Package.swift", "/viewer/%2e%2e/%2e%2e/Package.swift", "/viewer//etc/passwd",
                         "/viewer/missing.js", "/viewer/index.html/x"] {
                try await client.execute(uri: path, method: .get) { response in
                    XCTAssertEqual(response.status, .notFound, path)
                    XCTAssertFalse(String(buffer: response.body).contains("root:"), path)
                }
            }
        }
    }

    func testTheListFiltersAndPages() async throws {
        try await withViewer { _, client in
            try await client.execute(uri: "/api/images", method: .get) { response in
                let page = try XCTUnwrap(try json(response) as? [String: Any])
                XCTAssertEqual(page["total"] as? Int, 11)
                XCTAssertEqual((page["images"] as? [[String: Any]])?.count, 11)
            }
            try await client.execute(uri: "/api/images?finding=Cardiomegaly&part=test", method: .get) { response in
                let page = try XCTUnwrap(try json(response) as? [String: Any])
                let images = try XCTUnwrap(page["images"] as? [[String: Any]])
                XCTAssertEqual(images.map { $0["name"] as? String }, ["00001369_000.png"])
                XCTAssertEqual(images.first?["labels"] as? [String], ["Cardiomegaly"])
                XCTAssertEqual(images.first?["hasFile"] as? Bool, true)
            }
            try await client.execute(uri: "/api/images?boxes=yes", method: .get) { response in
                XCTAssertEqual((try json(response) as? [String: Any])?["total"] as? Int, 5)
            }
            try await client.execute(uri: "/api/images?patient=99", method: .get) { response in
                let images = (try json(response) as? [String: Any])?["images"] as? [[String: Any]]
                XCTAssertEqual(images?.map { $0["name"] as? String }, ["00000099_013.png"])
            }
            for (query, message) in [("finding=Fracture", "unknown class 'Fracture'"), ("min=2", "min=2 is not a probability"),
                                     ("boxes=maybe", "boxes=maybe is not yes or no"), ("page=-1", "page=-1 is not a whole number"),
                                     ("min=0.5&finding=Mass", "a probability condition or sort needs a model and a finding"),
                                     ("source=model:7", "no model with id 7")] {
                try await client.execute(uri: "/api/images?\(query)", method: .get) { response in
                    XCTAssertEqual(response.status, message.hasPrefix("no model") ? .notFound : .badRequest, query)
                    let error = (try json(response) as? [String: Any])?["error"] as? String ?? ""
                    XCTAssertTrue(error.hasPrefix(message), "\(query): \(error)")
                }
            }
        }
    }

    func testDetailThumbnailFilmAndPlaceholder() async throws {
        try await withViewer { fixture, client in
            let id = try fixture.id("00002578_000.png")
            try await client.execute(uri: "/api/images/\(id)", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let body = try XCTUnwrap(try json(response) as? [String: Any])
                let image = try XCTUnwrap(body["image"] as? [String: Any])
                XCTAssertEqual(image["name"] as? String, "00002578_000.png")
                XCTAssertNil(image["path"], "the server's file layout is not sent")
                XCTAssertEqual(body["format"] as? String, "png")
                XCTAssertEqual(body["boxFrame"] as? Int, 1024)
                XCTAssertEqual((image["boxes"] as? [[String: Any]])?.first?["className"] as? String, "Nodule")
            }
            // The film as stored; the thumbnail at most 160 pixels and kept on disk.
            let stored = try Data(contentsOf: fixture.imagesDirectory.appendingPathComponent("00002578_000.png"))
            try await client.execute(uri: "/api/images/\(id)/image.png", method: .get) { response in
                XCTAssertEqual(response.headers[.contentType], "image/png")
                XCTAssertEqual(Data(buffer: response.body), stored)
            }
            var thumbnail = Data()
            try await client.execute(uri: "/api/images/\(id)/thumbnail.png", method: .get) { response in
                thumbnail = Data(buffer: response.body)
                let decoded = try PNGCodec.decode(thumbnail, name: "thumbnail")
                XCTAssertEqual(max(decoded.width, decoded.height), 160)
            }
            let cached = try FileManager.default.contentsOfDirectory(atPath: fixture.thumbnailDirectory.path)
            XCTAssertEqual(cached, ["\(id)-00002578_000.png.png"])
            try await client.execute(uri: "/api/images/\(id)/thumbnail.png", method: .get) { response in
                XCTAssertEqual(Data(buffer: response.body), thumbnail)
            }
            // A file gone from disk: a placeholder that says so, never a broken image.
            let gone = try fixture.id("00000001_000.png")
            try FileManager.default.removeItem(at: fixture.imagesDirectory.appendingPathComponent("00000001_000.png"))
            for path in ["image.png", "thumbnail.png"] {
                try await client.execute(uri: "/api/images/\(gone)/\(path)", method: .get) { response in
                    XCTAssertEqual(response.status, .ok)
                    XCTAssertEqual(response.headers[HTTPField.Name("X-Thorax-Placeholder")!], "no file on disk")
                    XCTAssertNoThrow(try PNGCodec.decode(Data(buffer: response.body), name: path))
                }
            }
            try await client.execute(uri: "/api/images/\(gone)", method: .get) { response in
                XCTAssertNil((try json(response) as? [String: Any])?["format"])
            }
            try await client.execute(uri: "/api/images/\(gone)/file", method: .get) { XCTAssertEqual($0.status, .notFound) }
            try await client.execute(uri: "/api/images/x", method: .get) { XCTAssertEqual($0.status, .badRequest) }
            try await client.execute(uri: "/api/images/9999", method: .get) { XCTAssertEqual($0.status, .notFound) }
            try await client.execute(uri: "/api/images/\(id)/image.png?center=100", method: .get) {
                XCTAssertEqual($0.status, .badRequest)
            }
        }
    }

    func testHumanLabelsNeedTheLabelToken() async throws {
        try await withViewer(labelToken: "secret") { fixture, client in
            let id = try fixture.id("00000103_000.png")
            let body = ByteBuffer(string: #"{"value": 1}"#)
            let uri = "/api/images/\(id)/labels/Effusion"
            try await client.execute(uri: uri, method: .put, body: body) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: uri, method: .put, headers: [.authorization: "Bearer wrong"], body: body) {
                XCTAssertEqual($0.status, .unauthorized)
            }
            XCTAssertEqual(try fixture.database.imageDetail(id: id)?.labels.filter { $0.source == "human" }, [])
            try await client.execute(uri: uri, method: .put, headers: [.authorization: "Bearer secret"], body: body) { response in
                XCTAssertEqual(response.status, .ok)
            }
            XCTAssertEqual(try fixture.database.imageDetail(id: id)?.labels.filter { $0.source == "human" }.map(\.className), ["Effusion"])
            try await client.execute(uri: "/api/images/\(id)/labels/Fracture", method: .put, headers: [.authorization: "Bearer secret"],
                                     body: body) { response in
                XCTAssertEqual(response.status, .badRequest)
            }
            try await client.execute(uri: uri, method: .put, headers: [.authorization: "Bearer secret"],
                                     body: ByteBuffer(string: "yes")) { XCTAssertEqual($0.status, .badRequest) }
            try await client.execute(uri: uri, method: .put, headers: [.authorization: "Bearer secret"],
                                     body: ByteBuffer(string: #"{"value": null}"#)) { XCTAssertEqual($0.status, .ok) }
            XCTAssertEqual(try fixture.database.imageDetail(id: id)?.labels.filter { $0.source == "human" }, [])
        }
        try await withViewer { fixture, client in
            let id = try fixture.id("00000103_000.png")
            try await client.execute(uri: "/api/images/\(id)/labels/Effusion", method: .put, headers: [.authorization: "Bearer x"],
                                     body: ByteBuffer(string: #"{"value": 1}"#)) { XCTAssertEqual($0.status, .forbidden) }
        }
    }

    func testReportsCarryTheLabellersMentionsAtTheirPlaceInTheText() async throws {
        try await withViewer { _, client in
            var ids: [Int] = []
            try await client.execute(uri: "/api/reports", method: .get) { response in
                ids = (try json(response) as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
            }
            XCTAssertEqual(ids.count, 50)
            var statuses: Set<String> = []
            for id in ids {
                try await client.execute(uri: "/api/reports/\(id)", method: .get) { response in
                    let report = try XCTUnwrap(try json(response) as? [String: Any])
                    for section in report["sections"] as? [[String: Any]] ?? [] {
                        let text = Array((section["text"] as? String ?? "").utf16)
                        for mention in section["mentions"] as? [[String: Any]] ?? [] {
                            let start = try XCTUnwrap(mention["start"] as? Int), end = try XCTUnwrap(mention["end"] as? Int)
                            XCTAssertTrue(0 <= start && start < end && end <= text.count)
                            XCTAssertEqual(String(utf16CodeUnits: Array(text[start..<end]), count: end - start), mention["text"] as? String)
                            XCTAssertFalse((mention["rule"] as? String ?? "").isEmpty)
                            statuses.insert(mention["status"] as? String ?? "")
                        }
                    }
                }
            }
            XCTAssertEqual(statuses, ["positive", "negative", "uncertain"])
            try await client.execute(uri: "/api/reports/99999", method: .get) { XCTAssertEqual($0.status, .notFound) }
            try await client.execute(uri: "/api/reports?finding=Effusion", method: .get) { response in
                let reports = try json(response) as? [[String: Any]] ?? []
                XCTAssertFalse(reports.isEmpty)
                XCTAssertTrue(reports.allSatisfy { ($0["positives"] as? [String] ?? []).contains("Effusion") })
            }
        }
    }

    func testActivationMapsOfAKeptPrediction() async throws {
        try await withViewer { fixture, client in
            let image = GrayscaleImage(width: 8, height: 6, filledWith: 9)
            let prediction = try Prediction(classNames: ["Atelectasis", "Effusion"], thresholds: [0.5, 0.5], probabilities: [0.25, 0.75],
                                            heatmaps: [try Heatmap(width: 2, height: 2, values: [0, 1, 2, 3]),
                                                       try Heatmap(width: 2, height: 2, values: [4, 3, 2, 1])])
            let stored = await fixture.cache.store(PredictionCache.Entry(model: "m", heatmaps: ImageHeatmaps(image: image, prediction: prediction)))
            let id = try XCTUnwrap(stored)
            try await client.execute(uri: "/api/predictions/\(id)/maps", method: .get) { response in
                let maps = try XCTUnwrap(try json(response) as? [String: Any])
                XCTAssertEqual(maps["imageWidth"] as? Int, 8)
                XCTAssertEqual(maps["imageHeight"] as? Int, 6)
                let classes = try XCTUnwrap(maps["classes"] as? [[String: Any]])
                XCTAssertEqual(classes.map { $0["className"] as? String }, ["Atelectasis", "Effusion"])
                XCTAssertEqual(classes[1]["values"] as? [Double], [4, 3, 2, 1])
                XCTAssertEqual(classes[1]["present"] as? Bool, true)
            }
            try await client.execute(uri: "/api/predictions/nope/maps", method: .get) { XCTAssertEqual($0.status, .notFound) }
        }
    }

    func testROCCurvesOfAModelsStoredProbabilities() async throws {
        try await withViewer { fixture, client in
            let model = fixture.directory.appendingPathComponent("model")
            try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
            let card: [String: Any] = ["formatVersion": 1, "architecture": "resnet18", "classes": ["Atelectasis", "Nodule"],
                                       "thresholds": [0.5, 0.5], "created": "2026-11-26T12:00:00Z", "thoraxVersion": "0.1.0"]
            try JSONSerialization.data(withJSONObject: card).write(to: model.appendingPathComponent("model.json"))
            try Data("w".utf8).write(to: model.appendingPathComponent("model.safetensors"))
            // The five test images: one Atelectasis, one Nodule among them.
            let names = ["00001153_004.png", "00002578_000.png", "00001369_000.png", "00022084_000.png", "00026911_000.png"]
            let ids = try names.map { try fixture.id($0) }
            let stored = try fixture.database.storePredictions(zip(ids, [[0.9, 0.1], [0.2, 0.8], [0.3, 0.3], [0.4, 0.2], [0.1, 0.4]] as [[Float]])
                .map { ImageProbabilities(imageID: $0.0, probabilities: $0.1) }, of: try ModelRecord.read(directory: model))
            try await client.execute(uri: "/api/models/\(stored.model.id)/roc.svg", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "image/svg+xml")
                let svg = String(buffer: response.body)
                XCTAssertTrue(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"), String(svg.prefix(80)))
                XCTAssertTrue(svg.contains("model on official test: 5 images"), svg)
                // Both classes separate perfectly: AUC 1 in the legend.
                XCTAssertTrue(svg.contains("Atelectasis") && svg.contains("Nodule"), svg)
            }
            try await client.execute(uri: "/api/models/\(stored.model.id)/roc.svg?part=train_val", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                let error = (try json(response) as? [String: Any])?["error"] as? String ?? ""
                XCTAssertTrue(error.hasPrefix("model \(stored.model.id) has no stored probabilities for the images of official train_val"), error)
            }
            try await client.execute(uri: "/api/models/99/roc.svg", method: .get) { XCTAssertEqual($0.status, .notFound) }
        }
    }

    func testADICOMFilmIsRenderedThroughTheRequestedWindow() async throws {
        try await withViewer { fixture, client in
            let source = SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures/base16.dcm")
            let copy = fixture.directory.appendingPathComponent("base16.dcm")
            try FileManager.default.copyItem(at: source, to: copy)
            let file = try DICOMFile(contentsOf: copy)
            let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: copy.path)[.size] as? Int)
            try fixture.database.importImages([ImageRecord(
                name: "2.25.1", patient: "dicom-patient", study: nil, age: nil, sex: nil, view: nil, pixelSpacingX: nil,
                pixelSpacingY: nil, file: ImageFile(path: copy.path, size: size, width: file.metadata.columns, height: file.metadata.rows))])
            let id = try fixture.id("2.25.1")
            try await client.execute(uri: "/api/images/\(id)", method: .get) { response in
                let body = try XCTUnwrap(try json(response) as? [String: Any])
                XCTAssertEqual(body["format"] as? String, "dicom")
                let window = try XCTUnwrap(body["window"] as? [String: Double])
                XCTAssertEqual(window["center"], 3000)
                XCTAssertEqual(window["width"], 4000)
                XCTAssertEqual((body["valueRange"] as? [Double])?.count, 2)
            }
            // Without a window: the file's own, as Imaging renders it; with one: that window.
            for (query, expected) in [("", try file.image()),
                                      ("?center=2500&width=1200", try DisplayWindow(center: 2500, width: 1200).render(file))] {
                try await client.execute(uri: "/api/images/\(id)/image.png\(query)", method: .get) { response in
                    XCTAssertEqual(response.headers[.contentType], "image/png", query)
                    XCTAssertEqual(try PNGCodec.decode(Data(buffer: response.body), name: query), expected, query)
                }
            }
            try await client.execute(uri: "/api/images/\(id)/file", method: .get) { response in
                XCTAssertEqual(response.headers[.contentType], "application/dicom")
                XCTAssertEqual(Data(buffer: response.body), try Data(contentsOf: copy))
            }
        }
    }
}
