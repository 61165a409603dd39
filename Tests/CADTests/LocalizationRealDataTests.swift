import XCTest
import TestSupport
@testable import CAD

/// The bundled model localizing the five real boxed test images of ../shared/data/nih/boxed
/// against their rows of BBox_List_2017.csv (skips without the shared data or the model).
final class LocalizationRealDataTests: XCTestCase {
    func testBundledModelOnTheFiveBoxedImages() throws {
        guard let boxedFolder = SharedData.url("nih/boxed"), let boxFile = SharedData.url("nih/BBox_List_2017.csv") else {
            throw XCTSkip("../shared/data/nih/boxed is not here")
        }
        let model: ChestModel
        do {
            model = try ChestModel.load(directory: ModelDirectory.resolve("default", currentDirectory: SharedData.repositoryRoot))
        } catch {
            throw XCTSkip("no bundled model: \(error)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: boxedFolder.path).filter { $0.hasSuffix(".png") }.sorted()
        XCTAssertEqual(names.count, 5)
        // The box file's rows of these images, read here by position (header has extra columns).
        var images: [BoxedImage] = []
        for line in try String(contentsOf: boxFile, encoding: .utf8).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard names.contains(fields[0]) else { continue }
            let className = fields[1] == "Infiltrate" ? "Infiltration" : fields[1]
            let box = BoundingBox(x: Double(fields[2])!, y: Double(fields[3])!, width: Double(fields[4])!, height: Double(fields[5])!)
            images.append(BoxedImage(name: fields[0], path: boxedFolder.appendingPathComponent(fields[0]).path,
                                     boxes: [TruthBox(className: className, box: box)]))
        }
        XCTAssertEqual(images.count, 5)
        let report = try LocalizationRunner(classifier: model, modelName: "default (\(model.card.architecture))").run(images: images)
        XCTAssertEqual(report.cases.count, 5)
        XCTAssertTrue(report.failures.isEmpty)
        for scored in report.cases {
            XCTAssertTrue((1...3).contains(scored.detections.count), "\(scored)")
            XCTAssertTrue(scored.detections.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.x + $0.width <= 1024 && $0.y + $0.height <= 1024 })
        }
        XCTAssertEqual(report.table.rows[0].classes.map(\.truthBoxes), [1, 1, 0, 1, 0, 1, 1, 0])
        print(report.text)
    }
}
