import XCTest
import TestSupport

/// `thorax label` and `thorax label eval`, run as a subprocess, checked to the byte.
final class LabelCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try SharedData.temporaryDirectory("label-cli")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The built `thorax` executable, next to the test bundle in the build products folder.
    private var thorax: URL {
        // macOS: the .xctest bundle sits in the products folder; Linux: the main bundle is it.
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("thorax")
        }
        return Bundle.main.bundleURL.appendingPathComponent("thorax")
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = thorax
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    private func write(_ name: String, _ text: String) throws {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    private func read(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    func testLabelsMixedInputsAndNamesTheBadOne() throws {
        try write("in/a.txt", "FINDINGS: Heart is enlarged. No pleural effusion or pneumothorax.\nIMPRESSION: Cardiomegaly.")
        try write("in/b.csv", "id,report\nr1,\"Possible right lower lobe pneumonia, cannot exclude small effusion.\"\nr2,Lungs are clear.\n")
        try write("in/c.xml", "<eCitation><uId id=\"CXR9\"/>")
        let result = try run(["label", "in", "--output", "labels.csv"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.hasPrefix("error: in/c.xml: malformed XML at line "), result.stderr)
        XCTAssertTrue(result.stderr.hasSuffix("\nlabelled 3 reports; 1 input failed\n"), result.stderr)
        XCTAssertEqual(try read("labels.csv"), """
            id,Atelectasis,Cardiomegaly,Effusion,Infiltration,Mass,Nodule,Pneumonia,Pneumothorax,Consolidation,Edema,Emphysema,Fibrosis,Pleural_Thickening,Hernia,No Finding
            a,,1,0,,,,,0,,,,,,,0
            r1,,,-1,,,,-1,,,,,,,,0
            r2,,,,,,,,,,,,,,,1

            """)
    }

    func testJSONLinesCarryTheEvidence() throws {
        try write("r.txt", "IMPRESSION: Left basilar atelectasis versus pneumonia.")
        let result = try run(["label", "r.txt", "--format", "jsonl"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stderr, "labelled 1 reports\n")
        XCTAssertEqual(result.stdout, #"{"No Finding":0,"id":"r","labels":{"Atelectasis":-1,"Pneumonia":-1},"mentions":["#
            + #"{"class":"Atelectasis","rule":"uncertainty-after: versus","section":"IMPRESSION","sentence":"Left basilar atelectasis versus pneumonia.","span":[13,24],"status":"uncertain","text":"atelectasis"},"#
            + #"{"class":"Pneumonia","rule":"uncertainty-before: versus","section":"IMPRESSION","sentence":"Left basilar atelectasis versus pneumonia.","span":[32,41],"status":"uncertain","text":"pneumonia"}]}"#
            + "\n")
    }

    func testBadVocabularyIsNamedAndNothingIsWritten() throws {
        try write("r.txt", "No effusion.")
        try write("v.txt", "[Effusion]\neffusion\n[Efusion]\n")
        let result = try run(["label", "r.txt", "--vocabulary", "v.txt", "--output", "labels.csv"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("v.txt:3: unknown section '[Efusion]'"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("labels.csv").path))
    }

    func testEvalPrintsTheTable() throws {
        let header = "Atelectasis,Cardiomegaly,Effusion,Infiltration,Mass,Nodule,Pneumonia,Pneumothorax,Consolidation,Edema,Emphysema,Fibrosis,Pleural_Thickening,Hernia"
        let zeros = Array(repeating: "0", count: 13).joined(separator: ",")
        let blanks = String(repeating: ",", count: 12)
        // Hand-counted: Atelectasis TP 1 (a), FN 1 (b: -1 is not positive), FP 1 (c).
        try write("gold.csv", "filename,\(header),normal\na,1,\(zeros),0\nb,1,\(zeros),0\nc,0,\(zeros),1\n")
        try write("pred.csv", "id,\(header),No Finding\na,1,\(blanks),0\nb,-1,\(blanks),0\nc,1,\(blanks),1\n")
        let result = try run(["label", "eval", "--gold", "gold.csv", "--pred", "pred.csv"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 22)
        XCTAssertEqual(lines[0], "class                   gold  pred    TP    FP    FN  precision  recall      F1")
        XCTAssertEqual(lines[1], "Atelectasis                2     2     1     1     1      0.500   0.500   0.500")
        XCTAssertEqual(lines[2], "Cardiomegaly               0     0     0     0     0        n/a     n/a     n/a")
        XCTAssertEqual(lines[15], "micro (14 classes)         2     2     1     1     1      0.500   0.500   0.500")
        XCTAssertEqual(lines[19], "No Finding (normal)        1     1     1     0     0      1.000   1.000   1.000")
        XCTAssertEqual(lines[20], "reports scored: 3; gold reports without a prediction: 0; predictions not in gold: 0")
        let json = try run(["label", "eval", "--gold", "gold.csv", "--pred", "pred.csv", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((object?["micro14"] as? [String: Any])?["f1"] as? Double, 0.5)
    }

    func testEvalNamesAMissingColumn() throws {
        try write("gold.csv", "filename,Atelectasis\na,1\n")
        let result = try run(["label", "eval", "--gold", "gold.csv", "--pred", "gold.csv"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "error: gold.csv:1: no column for Cardiomegaly\n")
    }

    func testHelpShowsExamples() throws {
        let result = try run(["label", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("thorax label eval --gold"), result.stdout)
        let run = try self.run(["label", "run", "--help"])
        XCTAssertTrue(run.stdout.contains("thorax label reports.csv --format jsonl --output mentions.jsonl"), run.stdout)
    }
}
