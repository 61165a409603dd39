import Reporting
import XCTest

final class HeatmapFigureTests: XCTestCase {
    func testFigureFileNamesAreSafe() {
        XCTAssertEqual(HeatmapFigure.fileName(imageName: "00001153_004.png", className: "Pleural_Thickening"),
                       "00001153_004-Pleural_Thickening.png")
        XCTAssertEqual(HeatmapFigure.fileName(imageName: "a b/c.dcm", className: "No Finding"), "a_b_c-No_Finding.png")
    }
}
