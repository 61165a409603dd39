import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Store
import TestSupport
import Viewer
import XCTest

/// `GET /api/models/compare`: two models' stored probabilities on the images both predicted.
final class ModelComparisonTests: XCTestCase {
    func testTwoModelsAreComparedOnTheImagesBothPredicted() async throws {
        try await withViewer { fixture, client in
            let left = try fixture.storeModel("left", classes: ["Atelectasis", "Nodule"], probabilities: [
                "00001153_004.png": [0.9, 0.1], "00002578_000.png": [0.2, 0.8], "00001369_000.png": [0.3, 0.3]])
            let right = try fixture.storeModel("right", classes: ["Nodule", "Effusion"], probabilities: [
                "00002578_000.png": [0.6, 0.05], "00001369_000.png": [0.7, 0.4], "00022084_000.png": [0.1, 0.1]])
            XCTAssertNotEqual(left, right)
            try await client.execute(uri: "/api/models/compare?first=\(left)&second=\(right)", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let body = try XCTUnwrap(try json(response) as? [String: Any])
                XCTAssertEqual(body["total"] as? Int, 2)
                // Thorax order, either model's classes.
                XCTAssertEqual(body["classes"] as? [String], ["Atelectasis", "Effusion", "Nodule"])
                let images = try XCTUnwrap(body["images"] as? [[String: Any]])
                XCTAssertEqual(Set(images.compactMap { $0["name"] as? String }), ["00002578_000.png", "00001369_000.png"])
                let nodule = try XCTUnwrap(images.first { $0["name"] as? String == "00002578_000.png" })
                XCTAssertEqual(try XCTUnwrap((nodule["first"] as? [String: Double])?["Nodule"]), 0.8, accuracy: 1e-6)
                XCTAssertEqual(try XCTUnwrap((nodule["second"] as? [String: Double])?["Nodule"]), 0.6, accuracy: 1e-6)
                XCTAssertNil((nodule["first"] as? [String: Double])?["Effusion"], "the left model has no Effusion")
                XCTAssertEqual(try XCTUnwrap((nodule["second"] as? [String: Double])?["Effusion"]), 0.05, accuracy: 1e-6)
            }
            try await client.execute(uri: "/api/models/compare?first=\(left)&second=\(right)&offset=1", method: .get) { response in
                let body = try XCTUnwrap(try json(response) as? [String: Any])
                XCTAssertEqual((body["images"] as? [Any])?.count, 1)
                XCTAssertEqual(body["offset"] as? Int, 1)
            }
            try await client.execute(uri: "/api/models/compare?first=\(left)&second=99", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual((try json(response) as? [String: Any])?["error"] as? String, "no model with id 99")
            }
            try await client.execute(uri: "/api/models/compare?first=\(left)", method: .get) { response in
                XCTAssertEqual(response.status, .badRequest)
                let error = (try json(response) as? [String: Any])?["error"] as? String ?? ""
                XCTAssertTrue(error.contains("second model"), error)
            }
        }
    }

    func testAComparisonPageIsBounded() throws {
        let directory = try SharedData.temporaryDirectory("thorax-comparison")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ThoraxDatabase(path: directory.appendingPathComponent("thorax.sqlite").path)
        XCTAssertThrowsError(try database.modelComparison(first: 1, second: 2, offset: -1))
        XCTAssertThrowsError(try database.modelComparison(first: 1, second: 2, limit: 0))
        XCTAssertThrowsError(try database.modelComparison(first: 1, second: 2)) { error in
            XCTAssertEqual((error as? StoreError).map { "\($0)" }?.contains("no model with id 1"), true, "\(error)")
        }
    }
}
