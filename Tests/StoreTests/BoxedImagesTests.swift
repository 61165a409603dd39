import Foundation
import XCTest
@testable import Store

/// The images with hand-drawn boxes, as `thorax localize` reads them.
final class BoxedImagesTests: XCTestCase {
    func testBoxedImagesAreTheFixtureBoxesByNameWithTheirStoredFrame() throws {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        let images = try database.boxedImages()
        // Fixtures/nih-small/BBox_List.csv: four boxes on four images, "Infiltrate" read as Infiltration.
        XCTAssertEqual(images.map(\.name), ["00000468_017.png", "00000468_033.png", "00000468_041.png", "00000865_006.png"])
        XCTAssertTrue(images.allSatisfy { $0.path == nil && $0.boxes.count == 1 })
        XCTAssertEqual(images[2].boxes[0].className, "Infiltration")
        XCTAssertEqual(images[3].boxes[0], TruthBox(className: "Atelectasis", x: 839.050847457627, y: 624.036165916314,
                                                     width: 78.1016949152542, height: 40.135593220339))
    }

    func testADatabaseWithoutBoxesHasNoBoxedImages() throws {
        XCTAssertEqual(try ThoraxDatabase().boxedImages(), [])
    }
}
