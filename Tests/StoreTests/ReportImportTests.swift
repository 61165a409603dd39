import Foundation
import GRDB
import Reports
import TestSupport
import XCTest
@testable import Store

final class ReportImportTests: XCTestCase {
    /// The 50 OpenI reports bundled in Samples/openi/reports, copied to a temporary directory.
    private func copySamples(to directory: URL) throws {
        let samples = SharedData.repositoryRoot.appendingPathComponent("Samples/openi/reports")
        for name in try FileManager.default.contentsOfDirectory(atPath: samples.path) where name.hasSuffix(".xml") {
            try FileManager.default.copyItem(at: samples.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
    }

    /// Label rows of each report as stored: identifier -> [class: (value, evidence)].
    private func storedLabels(_ database: ThoraxDatabase) throws -> [String: [String: Int]] {
        try database.queue.read { db in
            var labels: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT r.identifier, l.class, l.value FROM labels l JOIN reports r ON r.id = l.report_id
                WHERE l.source = 'labeller'
                """) {
                labels[row[0], default: [:]][row[1]] = row[2]
            }
            return labels
        }
    }

    func testStoresReportsSectionsAndTheLabellersLabels() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try copySamples(to: directory)
        try "<eCitation><uId id=\"CXR-broken\"".write(to: directory.appendingPathComponent("broken.xml"),
                                                      atomically: true, encoding: .utf8)
        let labeler = try ReportLabeler()
        let database = try ThoraxDatabase()
        let summary = try database.importReports(ReportReader(paths: [directory.path]), source: "openi", labeler: labeler)
        XCTAssertEqual(summary.read, 51)
        XCTAssertEqual(summary.added, 50)
        XCTAssertEqual(summary.failures.count, 1)
        XCTAssertTrue(summary.failures[0].hasPrefix(directory.appendingPathComponent("broken.xml").path), summary.failures[0])
        XCTAssertEqual(try database.statistics().reports, 50)

        // The stored labels are what the labeller says about each report, read independently.
        var expected: [String: [String: Int]] = [:]
        var sections: [String: [String]] = [:]
        for case let .success(report) in ReportReader(paths: [directory.path]) {
            let labels = labeler.label(report)
            for finding in Finding.allCases {
                if let value = labels[finding] { expected[report.id, default: [:]][finding.rawValue] = value.rawValue }
            }
            if labels.noFinding { expected[report.id, default: [:]]["No Finding"] = 1 }
            sections[report.id] = report.sections.map { $0.text }
        }
        XCTAssertEqual(try storedLabels(database), expected)
        let storedSections = try database.queue.read { db in
            try String.fetchAll(db, sql: """
                SELECT s.text FROM report_sections s JOIN reports r ON r.id = s.report_id
                WHERE r.identifier = 'CXR2' ORDER BY s.position
                """)
        }
        XCTAssertEqual(storedSections, sections["CXR2"])
        XCTAssertEqual(summary.labelsWritten, expected.values.reduce(0) { $0 + $1.count })
    }

    func testReimportChangesNothingAndEditsUpdateOneReport() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try copySamples(to: directory)
        let labeler = try ReportLabeler()
        let database = try ThoraxDatabase()
        try database.importReports(ReportReader(paths: [directory.path]), source: "openi", labeler: labeler)
        let before = try dumpTables(database)
        let again = try database.importReports(ReportReader(paths: [directory.path]), source: "openi", labeler: labeler)
        XCTAssertEqual(again.unchanged, 50)
        XCTAssertEqual(again.labelsWritten, 0)
        XCTAssertEqual(try dumpTables(database), before)

        // Report 2 gains a pneumothorax.
        let file = directory.appendingPathComponent("2.xml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "Label=\"IMPRESSION\">",
                                               with: "Label=\"IMPRESSION\">Large right pneumothorax. ")
        XCTAssertNotEqual(edited, text, "the sample's IMPRESSION heading moved")
        try edited.write(to: file, atomically: true, encoding: .utf8)
        let updated = try database.importReports(ReportReader(paths: [directory.path]), source: "openi", labeler: labeler)
        XCTAssertEqual(updated.updated, 1)
        XCTAssertEqual(updated.unchanged, 49)
        XCTAssertEqual(try storedLabels(database)["CXR2"]?["Pneumothorax"], 1)
        XCTAssertNil(try storedLabels(database)["CXR2"]?["No Finding"])
    }

    func testDuplicateIdIsReportedNotMerged() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try copySamples(to: directory)
        try FileManager.default.copyItem(at: directory.appendingPathComponent("2.xml"),
                                         to: directory.appendingPathComponent("copy-of-2.xml"))
        let database = try ThoraxDatabase()
        let summary = try database.importReports(ReportReader(paths: [directory.path]), source: "openi",
                                                 labeler: try ReportLabeler())
        XCTAssertEqual(summary.added, 50)
        XCTAssertEqual(summary.failures, [
            directory.appendingPathComponent("copy-of-2.xml").path + ": report id CXR2 was already read from "
                + directory.appendingPathComponent("2.xml").path + "; skipped",
        ])
    }
}
