import Foundation
import TestSupport
import XCTest
@testable import Store

final class NIHReleaseTests: XCTestCase {
    func testReadsFixtureByPosition() throws {
        let release = try NIHFixture.read()
        XCTAssertEqual(release.entries.count, 22)
        XCTAssertEqual(release.boxes.count, 4)
        XCTAssertEqual(release.trainValidation.count, 4)
        XCTAssertEqual(release.test.count, 18)
        // Row 3 of the file: "00000001_001.png,Cardiomegaly|Emphysema,1,1,58,M,PA,2894,2729,0.1430...02,..."
        let entry = release.entries[1]
        XCTAssertEqual(entry, NIHRelease.Entry(
            name: "00000001_001.png", findings: ["Cardiomegaly", "Emphysema"], followUp: 1, patient: "1",
            age: 58, sex: "M", view: "PA", originalWidth: 2894, originalHeight: 2729,
            pixelSpacingX: 0.14300000000000002, pixelSpacingY: 0.14300000000000002))
        XCTAssertEqual(release.entries[3].findings, [], "No Finding is an empty finding list")
    }

    func testFindingsComeInThoraxClassOrder() throws {
        let parsed = try NIHRelease.parseFindings("Pneumothorax|Atelectasis") { _ in .notFound("") }
        XCTAssertEqual(parsed, ["Atelectasis", "Pneumothorax"])
    }

    func testInfiltrateInBoxFileIsInfiltration() throws {
        let release = try NIHFixture.read()
        let box = try XCTUnwrap(release.boxes.first { $0.image == "00000468_041.png" })
        XCTAssertEqual(box.finding, "Infiltration")
        XCTAssertEqual(box.x, 266.565079365079)
        XCTAssertEqual(box.height, 72.6010582010582)
    }

    /// Each malformed input names its file and line and says what is wrong.
    func testBadLinesNameFileAndLine() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cases: [(file: String, line: Int, fragment: String, edit: (String) -> String)] = [
            ("Data_Entry.csv", 7, "unknown class \"Hernai\"",
             { $0.replacingOccurrences(of: "00000003_002.png,Hernia,", with: "00000003_002.png,Hernai,") }),
            ("Data_Entry.csv", 3, "expected 11 comma-separated fields, found 10",
             { $0.replacingOccurrences(of: "2894,2729,", with: "2894,") }),
            ("Data_Entry.csv", 5, "Patient Age: \"eighty\"",
             { $0.replacingOccurrences(of: ",2,80,M,", with: ",2,eighty,M,") }),
            ("Data_Entry.csv", 1, "not a Data_Entry file",
             { $0.replacingOccurrences(of: "Image Index,Finding Labels", with: "Image,Labels") }),
            ("Data_Entry.csv", 24, "00000001_000.png is listed twice (first on line 2)",
             { $0 + "00000001_000.png,No Finding,0,1,57,M,PA,2682,2749,0.143,0.143\n" }),
            ("BBox_List.csv", 3, "00000468_099.png is not in the Data_Entry file",
             { $0.replacingOccurrences(of: "00000468_033.png,Atelectasis,204", with: "00000468_099.png,Atelectasis,204") }),
            ("BBox_List.csv", 2, "w: \"-1\"",
             { $0.replacingOccurrences(of: ",78.1016949152542,", with: ",-1,") }),
            ("test_list.txt", 2, "00009999_000.png is not in the Data_Entry file",
             { $0.replacingOccurrences(of: "00000003_002.png", with: "00009999_000.png") }),
            ("train_val_list.txt", 1, "is also in",
             { "00000003_001.png\n" + $0 }),
        ]
        for testCase in cases {
            let files = try NIHFixture.copy(to: directory, editing: testCase.file, testCase.edit)
            XCTAssertThrowsError(try NIHFixture.read(files), testCase.fragment) { error in
                guard case let StoreError.badLine(file, line, reason) = error else {
                    return XCTFail("\(testCase.fragment): unexpected error \(error)")
                }
                XCTAssertEqual(URL(fileURLWithPath: file).lastPathComponent, testCase.file)
                XCTAssertEqual(line, testCase.line, testCase.fragment)
                XCTAssertTrue(reason.contains(testCase.fragment), "\(reason) lacks \(testCase.fragment)")
            }
        }
    }

    func testMissingFileIsNamed() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/Data_Entry.csv")
        XCTAssertThrowsError(try NIHRelease.read(dataEntry: missing, boxes: NIHFixture.boxes,
                                                 trainValidationList: NIHFixture.trainValidation,
                                                 testList: NIHFixture.test)) { error in
            guard case let StoreError.cannotRead(file, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, missing.path)
        }
    }

    func testCRLFAndMissingFinalNewlineAreRead() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try NIHFixture.copy(to: directory, editing: "test_list.txt") { String($0.dropLast()) }
        try String(contentsOf: files[0], encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")
            .write(to: files[0], atomically: true, encoding: .utf8)
        let release = try NIHFixture.read(files)
        XCTAssertEqual(release.entries, try NIHFixture.read().entries)
        XCTAssertEqual(release.test.count, 18)
    }
}
