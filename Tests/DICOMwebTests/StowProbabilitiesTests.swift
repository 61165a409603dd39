@testable import DICOMweb
import Foundation
import HummingbirdTesting
import Imaging
import Store
import XCTest

/// A stored image's probabilities are recorded under the predictor's model, as `thorax predict
/// --store` records them; storing the same bytes again records nothing new.
final class StowProbabilitiesTests: XCTestCase {
    func testAStoredImagesProbabilitiesAreRecordedUnderTheModel() async throws {
        let instance = TestInstance()
        let predictor = try BundledModel.load()
        let record = try XCTUnwrap(predictor.modelRecord, "the bundled model's registration")
        try await withDICOMweb { fixture, client in
            let (body, headers) = try StowBody.make([instance.bytes])
            for _ in 0..<2 {
                try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                    XCTAssertEqual(response.status, .ok)
                }
            }
            let models = try fixture.database.models()
            XCTAssertEqual(models.map(\.contentHash), [record.contentHash])
            XCTAssertEqual(models.map(\.images), [1], "one image with predictions")
            let statistics = try fixture.database.statistics()
            XCTAssertEqual(statistics.predictions, record.classes.count, "one probability per class")
            XCTAssertNotNil(try fixture.database.imageID(named: instance.sopInstanceUID))
        }
    }
}
