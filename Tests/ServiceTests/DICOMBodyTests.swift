import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Service
import TestSupport
import XCTest

/// Real DICOM files (the shared NIH DICOMs) as /v1/predict bodies and OIP BYTES elements: the
/// library's probabilities for the same files; a truncated file is a 400 naming the body.
final class DICOMBodyTests: XCTestCase {
    func testNIHDICOMsGiveTheLibrarysProbabilities() async throws {
        guard let nih = SharedData.url("nih/dicom") else {
            throw XCTSkip("the shared NIH DICOMs (nih/dicom) are not here; set THORAX_SHARED_DATA")
        }
        let files = ["test2.dcm", "test3.dcm"].map { nih.appendingPathComponent($0) }
        let library = try BundledModel.libraryPredictions(files, heatmaps: false)
        let dicoms = try files.map { [UInt8](try Data(contentsOf: $0)) }
        let model = try await BundledModel.served.value
        try await withModelService(model) { client in
            for (bytes, expected) in zip(dicoms, library) {
                try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("application/dicom"),
                                         body: ByteBuffer(bytes: bytes)) { response in
                    XCTAssertEqual(response.status, .ok, String(buffer: response.body))
                    let json = try response.json()
                    XCTAssertEqual(json["width"] as? Int, 1024)
                    assertClose(probabilities(json), expected.prediction.probabilities, accuracy: 1e-5)
                }
            }
            let request: [String: Any] = [
                "inputs": [["name": "images", "shape": [dicoms.count], "datatype": "BYTES",
                            "parameters": ["binary_data_size": Bodies.elements(dicoms).count]]],
                "outputs": [["name": "probabilities", "parameters": ["binary_data": true]]],
            ]
            let (body, headers) = Bodies.binary(request, Bodies.elements(dicoms))
            try await client.execute(uri: "/v2/models/default/infer", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .ok, String(buffer: response.body))
                assertClose(Bodies.decodeFloats(response.binary), library.flatMap(\.prediction.probabilities), accuracy: 1e-5)
            }
            let truncated = Array(dicoms[0].prefix(dicoms[0].count / 2))
            try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("application/dicom"),
                                     body: ByteBuffer(bytes: truncated)) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertEqual(response.headers[.contentType], "application/json")
                let message = try response.json()["error"] as? String ?? ""
                XCTAssertTrue(message.hasPrefix("the request body: DICOM: ") && message.contains("truncated"), message)
            }
        }
    }
}
