import Foundation
import Imaging
import TestSupport
import Viewer
import XCTest

/// The viewer's window/level against Imaging's own rendering of a file's stored window.
final class DisplayWindowTests: XCTestCase {
    static let fixtures = SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures")

    /// With the file's own (LINEAR) window, the viewer's rendering equals Imaging's: its
    /// reference twin for the Modality LUT and the window function.
    func testTheFilesOwnWindowRendersAsImagingRendersIt() throws {
        for name in ["base16.dcm", "implicit-le16.dcm", "jpeg-extended12.dcm"] {
            let file = try DICOMFile(contentsOf: Self.fixtures.appendingPathComponent(name))
            let center = try XCTUnwrap(file.metadata.windowCenter), width = try XCTUnwrap(file.metadata.windowWidth)
            XCTAssertEqual(try DisplayWindow(center: center, width: width).render(file), try file.image(), name)
        }
    }

    func testTheLinearFunctionsEnds() {
        let window = DisplayWindow(center: 100, width: 51)
        // Lower edge c − 0.5 − (w − 1)/2 = 74.5, upper c − 0.5 + (w − 1)/2 = 124.5.
        XCTAssertEqual(window.output(74.5), 0)
        XCTAssertEqual(window.output(124.6), 255)
        XCTAssertEqual(window.output(99.5), 128)
        XCTAssertEqual(window.output(-1e9), 0)
        XCTAssertEqual(DisplayWindow(center: 10, width: 1).output(9.4), 0)
        XCTAssertEqual(DisplayWindow(center: 10, width: 1).output(9.6), 255)
        // 100: ((100 − 99.5) / 50 + 0.5) · 255 = 130.05.
        let gray = GrayscaleImage(width: 3, height: 1, pixels: [0, 100, 255])
        XCTAssertEqual(window.render(gray).pixels, [0, 130, 255])
    }
}
