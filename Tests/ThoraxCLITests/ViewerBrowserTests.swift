import Foundation
import Store
import TestSupport
import XCTest

/// The viewer in a real browser: `thorax serve` on a database of the bundled samples, driven
/// through headless Chromium by Tests/ViewerTests/Scripts/viewer_browser_test.py (selenium;
/// `scripts/install-deps` installs chromium, chromium-driver and selenium). Screenshots go to a
/// temporary folder, or to THORAX_VIEWER_SCREENSHOTS when set.
final class ViewerBrowserTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("viewer-browser")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testTheViewerInChromium() throws {
        let nih = SharedData.repositoryRoot.appendingPathComponent("Samples/nih")
        let database = directory.appendingPathComponent("thorax.sqlite").path
        let dicom = directory.appendingPathComponent("film.dcm")
        try FileManager.default.copyItem(at: SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures/base16.dcm"), to: dicom)
        for arguments in [
            ["db", "import-nih", "--database", database, "--data-entry", nih.appendingPathComponent("Data_Entry_2017_v2020.csv").path,
             "--bbox", nih.appendingPathComponent("BBox_List_2017.csv").path,
             "--train-val-list", nih.appendingPathComponent("train_val_list.txt").path,
             "--test-list", nih.appendingPathComponent("test_list.txt").path, "--images", nih.appendingPathComponent("images").path],
            ["db", "import-reports", "--database", database, SharedData.repositoryRoot.appendingPathComponent("Samples/openi/reports").path],
            // A DICOM film, to drag window/level on.
            ["db", "import-dicom", "--database", database, dicom.path],
        ] {
            let run = try runThorax(arguments, in: directory)
            guard run.status == 0 else { throw FixtureError("thorax \(arguments[1]) failed: \(run.standardError)") }
        }
        // Two registered models with stored probabilities, for the Models page's comparison: both
        // predicted the first two images, only the first model the third.
        let store = try ThoraxDatabase(existingAt: database, access: .update)
        let names = ["00001153_004.png", "00002578_000.png", "00001369_000.png"]
        let ids = try names.map { try XCTUnwrap(try store.images(forFiles: [$0]).first??.id, $0) }
        var models: [Int64] = []
        for (name, rows) in [("left", [[Float](repeating: 0.1, count: 14), [Float](repeating: 0.8, count: 14), [Float](repeating: 0.3, count: 14)]),
                             ("right", [[Float](repeating: 0.6, count: 14), [Float](repeating: 0.2, count: 14)])] {
            let folder = directory.appendingPathComponent("models/\(name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let card: [String: Any] = ["formatVersion": 1, "architecture": "resnet50", "classes": Findings.classes,
                                       "thresholds": Findings.classes.map { _ in 0.5 }, "created": "2026-11-26T12:00:00Z",
                                       "thoraxVersion": "0.1.0", "notes": "\(name) model of the browser test"]
            try JSONSerialization.data(withJSONObject: card).write(to: folder.appendingPathComponent("model.json"))
            try Data(name.utf8).write(to: folder.appendingPathComponent("model.safetensors"))
            let results = zip(ids, rows).map { ImageProbabilities(imageID: $0, probabilities: $1) }
            models.append(try store.storePredictions(results, of: try ModelRecord.read(directory: folder, name: name)).model.id)
        }
        let dicomID = try XCTUnwrap(try store.images(forFiles: [dicom.path]).first??.id, "the imported DICOM film")
        let token = directory.appendingPathComponent("label-token")
        try Data("viewer-token\n".utf8).write(to: token)
        let server = try ServeProcess(["serve", "--database", database, "--port", "0", "--label-token-file", token.path], in: directory)
        defer { server.stop() }

        let shots = ProcessInfo.processInfo.environment["THORAX_VIEWER_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? directory.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let script = SharedData.repositoryRoot.appendingPathComponent("Tests/ViewerTests/Scripts/viewer_browser_test.py")
        let upload = nih.appendingPathComponent("images/00000099_013.png").path
        let run = try runPython([script.path, server.address, shots.path, upload, "Nodule", String(dicomID),
                                  SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures/base8.dcm").path, "stow-token"])
        guard run.status == 0 else {
            throw FixtureError("viewer_browser_test.py failed (\(run.status)); scripts/install-deps installs chromium, "
                + "chromium-driver and selenium:\n\(run.standardError)")
        }
        let seen = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])

        // The 11 NIH samples and the DICOM film.
        XCTAssertEqual(seen["list_rows"] as? Int, 12)
        XCTAssertEqual(seen["thumbnails_loaded"] as? Int, 12)
        XCTAssertEqual(seen["filtered"] as? [String], ["00002578_000.png"])
        XCTAssertEqual(seen["class_rows"] as? Int, 14)
        XCTAssertTrue((seen["prediction_status"] as? String ?? "").hasPrefix("Model default:"), "\(seen)")
        XCTAssertTrue((seen["film_alt"] as? String ?? "").hasPrefix("Chest X-ray 00002578_000.png"))
        XCTAssertEqual(seen["selected_class"] as? String, "Nodule")
        // The pixels under a detected box change with the overlay and come back with it.
        XCTAssertGreaterThan(seen["detected_boxes"] as? Int ?? 0, 0, "no class of the image had a detected box")
        let on = try XCTUnwrap(seen["pixel_overlay_on"] as? [Int]), off = try XCTUnwrap(seen["pixel_overlay_off"] as? [Int])
        XCTAssertNotEqual(on, off)
        XCTAssertEqual(off[0], off[1], "without the overlay the film is gray: \(off)")
        XCTAssertEqual(seen["pixel_overlay_again"] as? [Int], on)
        let opacity = try XCTUnwrap(seen["opacity"] as? [String])
        XCTAssertNotEqual(opacity[0], opacity[1])
        XCTAssertNotEqual(seen["pixel_after_opacity"] as? [Int], on)
        let next = try XCTUnwrap(seen["next_image"] as? [String])
        XCTAssertNotEqual(next[0], next[1])
        XCTAssertTrue(next[1].hasPrefix("/image/"))
        let negated = try XCTUnwrap(seen["negated_mention"] as? [String: Any], "no negated mention in the sample reports")
        XCTAssertFalse((negated["text"] as? String ?? "").isEmpty)
        XCTAssertTrue((negated["title"] as? String ?? "").contains("negated — rule "), "\(negated)")
        XCTAssertFalse((negated["rule"] as? String ?? "").isEmpty)
        let upload14 = try XCTUnwrap(seen["upload"] as? [String: Double])
        XCTAssertEqual(upload14.count, 14)
        XCTAssertTrue(upload14.values.allSatisfy { (0...1).contains($0) })
        // The two models side by side, each cell the left and the right model's probability.
        let compare = try XCTUnwrap(seen["compare"] as? [String: Any], "no comparison on the Models page: \(seen)")
        XCTAssertEqual(compare["cards"] as? [String], ["left (model \(models[0]))", "right (model \(models[1]))"])
        XCTAssertEqual(compare["side_by_side"] as? Bool, true)
        XCTAssertEqual(compare["rows"] as? [String], Array(names.prefix(2)))
        let cells = try XCTUnwrap(compare["cells"] as? [String: [String]])
        XCTAssertEqual(cells.count, 2 * 14)
        let nodule = try XCTUnwrap(cells["\(ids[1])/Nodule"]).compactMap(Double.init)
        XCTAssertEqual(nodule.count, 2)
        XCTAssertEqual(nodule[0], 0.8, accuracy: 1e-6)
        XCTAssertEqual(nodule[1], 0.2, accuracy: 1e-6)
        // Window/level dragged on the DICOM film: a new window, a re-rendered film, other gray levels.
        let windowLevel = try XCTUnwrap(seen["window_level"] as? [String: Any], "\(seen)")
        let films = try XCTUnwrap(windowLevel["film"] as? [String])
        XCTAssertNotEqual(films[0], films[1])
        XCTAssertTrue(films[1].contains("center="), films[1])
        let before = try XCTUnwrap(windowLevel["before"] as? [String: Any]), after = try XCTUnwrap(windowLevel["after"] as? [String: Any])
        XCTAssertNotEqual(before["label"] as? String, after["label"] as? String)
        XCTAssertNotEqual(try XCTUnwrap(before["sum"] as? Int), try XCTUnwrap(after["sum"] as? Int), "the canvas did not change")
        // A DICOM upload with a token: stored through STOW-RS (the store's answer shown), then predicted.
        XCTAssertEqual(seen["token_kept"] as? Bool, true)
        XCTAssertEqual(seen["token_in_local_storage"] as? Bool, false)
        let stow = try XCTUnwrap(seen["stow_upload"] as? [String: Any], "\(seen)")
        XCTAssertEqual(stow["store_status"] as? String, "200", "\(stow)")
        XCTAssertTrue((stow["store_text"] as? String ?? "").contains("stored 1 instance (1.2.826.0.1.3680043.10.1378.599934006325735878351206681570973060)"),
                      "\(stow)")
        XCTAssertEqual(stow["classes"] as? Int, 14, "\(stow)")
        XCTAssertEqual(seen["console_errors"] as? [String], [])
        for page in ["list", "list-filtered", "image", "image-opacity", "report", "upload", "upload-dicom", "models-compare", "image-dicom-window"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: shots.appendingPathComponent("\(page).png").path), page)
        }
    }
}
