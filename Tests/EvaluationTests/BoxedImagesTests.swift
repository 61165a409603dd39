import XCTest
import TestSupport
@testable import Evaluation

/// The localization pipeline on the real hand-drawn boxes of the five boxed NIH test images
/// (the shared data's `nih/boxed`, boxes from `BBox_List_2017.csv`), with stand-in CAMs: a 32×32
/// map (the paper's S for 1024 inputs) holding a Gaussian centred on each truth box with a
/// spread of half its width and height. By construction the 180 region (≥ 0.706 of the peak,
/// within 0.83 σ) lies inside the truth box and the 60 region (≥ 0.235, within 1.7 σ) holds it,
/// so every image must be localized at T(IoBB) = 0.5 and T(IoU) = 0.3 — which checks the frame,
/// the resize and the box conventions against the file's coordinates.
final class BoxedImagesTests: XCTestCase {
    func testGaussianCAMsOnTheRealBoxesLocalize() throws {
        guard let manifest = SharedData.url("nih/boxed/MANIFEST.csv"),
              let boxFile = SharedData.url("nih/BBox_List_2017.csv") else {
            throw XCTSkip("the shared data's nih (boxed images and BBox_List_2017.csv; THORAX_SHARED_DATA) is not here")
        }
        let boxedImages = Set(try String(contentsOf: manifest, encoding: .utf8)
            .split(whereSeparator: \.isNewline).dropFirst().map { String($0.split(separator: ",")[0]) })
        XCTAssertEqual(boxedImages.count, 5)
        var cases: [LocalizationCase] = []
        for line in try String(contentsOf: boxFile, encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst() {
            // Columns by position: image, label, x, y, w, h (the header has extra empty columns).
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard boxedImages.contains(fields[0]) else { continue }
            let values = try fields[2...5].map { try XCTUnwrap(Double($0.trimmingCharacters(in: .whitespaces)), "\(fields[0]): \($0)") }
            let truth = BoundingBox(x: values[0], y: values[1], width: values[2], height: values[3])
            let className = fields[1] == "Infiltrate" ? "Infiltration" : fields[1]
            let detections = BoxExtraction().boxes(in: try gaussianCAM(around: truth)).map(\.box)
            XCTAssertFalse(detections.isEmpty)
            XCTAssertLessThanOrEqual(detections.count, 3)
            cases.append(LocalizationCase(imageName: fields[0], className: className, truthBoxes: [truth], detections: detections))
        }
        XCTAssertEqual(cases.count, 5)
        let classes = ["Atelectasis", "Cardiomegaly", "Infiltration", "Nodule", "Pneumonia"]
        for threshold in [LocalizationThreshold(.iobb, 0.5), LocalizationThreshold(.iou, 0.3)] {
            let results = try LocalizationScoring.score(cases: cases, classNames: classes, threshold: threshold)
            XCTAssertEqual(results.map(\.accuracy), [1, 1, 1, 1, 1], "\(threshold): \(cases)")
        }
    }

    /// A 32×32 CAM over the 1024 frame (cells of 32 pixels) with a Gaussian bump at the box.
    private func gaussianCAM(around box: BoundingBox) throws -> Heatmap {
        let cell = 1024.0 / 32
        let centreX = (box.x + box.width / 2) / cell, centreY = (box.y + box.height / 2) / cell
        let sigmaX = box.width / 2 / cell, sigmaY = box.height / 2 / cell
        var values: [Float] = []
        for row in 0..<32 {
            for column in 0..<32 {
                let dx = (Double(column) + 0.5 - centreX) / sigmaX
                let dy = (Double(row) + 0.5 - centreY) / sigmaY
                values.append(Float(exp(-(dx * dx + dy * dy) / 2)))
            }
        }
        return try Heatmap(width: 32, height: 32, values: values)
    }
}
