import Foundation
import XCTest
@testable import Store

/// Filing DICOM instances (the DICOMweb service's store) and searching them.
final class DICOMFilingTests: XCTestCase {
    func record(patient: String = "P1", name: String? = "Doe^Jane", study: String = "2.25.10", date: String? = "20200115",
                series: String = "2.25.11", modality: String? = "DX", sop: String = "2.25.12", number: Int? = 1) -> DICOMInstanceRecord {
        DICOMInstanceRecord(
            patient: .init(identifier: patient, name: name, birthDate: "19610203", sex: "F"),
            study: .init(uid: study, date: date, time: "093000", accessionNumber: "A-\(study)", studyID: "S1",
                         referringPhysician: "Welby^Marcus", description: "Chest"),
            series: .init(uid: series, modality: modality, number: 3, description: nil),
            sopInstanceUID: sop, sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1", instanceNumber: number,
            transferSyntax: "1.2.840.10008.1.2.1", rows: 48, columns: 64, frames: 1, bitsAllocated: 8,
            path: "/data/instances/\(sop).dcm", fileSize: 100, contentHash: "hash-\(sop)")
    }

    func image(_ record: DICOMInstanceRecord) -> ImageRecord {
        ImageRecord(name: record.sopInstanceUID, patient: record.patient.identifier, study: record.study.uid, age: 58, sex: "F",
                    view: "PA", pixelSpacingX: nil, pixelSpacingY: nil,
                    file: ImageFile(path: record.path, size: record.fileSize, width: 64, height: 48, contentHash: record.contentHash))
    }

    func testASourceAndItsResultsAreFiledTogether() throws {
        let database = try ThoraxDatabase()
        let source = record()
        var report = record(series: "2.25.13", modality: "SR", sop: "2.25.14")
        report.sopClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
        var moved = false
        try database.fileDICOMInstances(source: source, image: image(source), results: [report]) { moved = true }
        XCTAssertTrue(moved)
        XCTAssertEqual(try database.dicomStoreCounts(), DICOMStoreCounts(patients: 1, studies: 1, series: 2, instances: 2, images: 1))
        let stored = try XCTUnwrap(try database.storedDICOMInstance(uid: "2.25.14"))
        XCTAssertEqual(stored.derivedFrom, "2.25.12")
        XCTAssertEqual(stored.studyUID, "2.25.10")
        XCTAssertEqual(stored.seriesUID, "2.25.13")
        XCTAssertNil(try database.storedDICOMInstance(uid: "2.25.12")?.derivedFrom)
        XCTAssertEqual(try database.storedDICOMInstances(study: "2.25.10").map(\.sopInstanceUID), ["2.25.12", "2.25.14"])
        XCTAssertEqual(try database.storedDICOMInstances(study: "2.25.10", series: "2.25.13").map(\.sopInstanceUID), ["2.25.14"])
    }

    /// A failure inside the transaction — an error of `beforeCommit`, a study under another
    /// patient, a series under another study, a UID stored already — leaves the database as it was.
    func testConflictsAndFailuresRollBack() throws {
        let database = try ThoraxDatabase()
        try database.fileDICOMInstances(source: record(), image: image(record()), results: []) {}
        let counts = try database.dicomStoreCounts()
        struct MoveFailed: Error {}
        XCTAssertThrowsError(try database.fileDICOMInstances(source: record(sop: "2.25.20"), image: nil, results: []) {
            throw MoveFailed()
        }) { XCTAssertTrue($0 is MoveFailed) }
        // A stored UID's conflict names it, so that a store that lost a race can tell.
        let conflicts: [(DICOMInstanceRecord, DICOMFilingConflict)] = [
            (record(patient: "P2", sop: "2.25.21"), DICOMFilingConflict("study 2.25.10 is filed under another patient")),
            (record(study: "2.25.30", sop: "2.25.22"), DICOMFilingConflict("series 2.25.11 belongs to another study")),
            (record(), DICOMFilingConflict("instance 2.25.12 is stored already", storedInstanceUID: "2.25.12")),
        ]
        for (conflicting, expected) in conflicts {
            XCTAssertThrowsError(try database.fileDICOMInstances(source: conflicting, image: image(conflicting), results: []) {}) {
                XCTAssertEqual($0 as? DICOMFilingConflict, expected)
            }
            XCTAssertEqual(try database.dicomStoreCounts(), counts, expected.reason)
        }
        // A result whose UID repeats the source's fails the whole store.
        XCTAssertThrowsError(try database.fileDICOMInstances(source: record(sop: "2.25.23"), image: nil,
                                                              results: [record(series: "2.25.24", sop: "2.25.23")]) {})
        XCTAssertEqual(try database.dicomStoreCounts(), counts)
    }

    func testFilingAgainFillsInAttributesAndKeepsOthers() throws {
        let database = try ThoraxDatabase()
        try database.fileDICOMInstances(source: record(name: nil, date: nil), image: nil, results: []) {}
        try database.fileDICOMInstances(source: record(name: "Doe^Jane", date: "20200115", sop: "2.25.40"), image: nil, results: []) {}
        try database.fileDICOMInstances(source: record(name: nil, date: nil, sop: "2.25.41"), image: nil, results: []) {}
        let study = try XCTUnwrap(try database.searchDICOMStudies(DICOMQuery()).first)
        XCTAssertEqual(study.patient.name, "Doe^Jane")
        XCTAssertEqual(study.study.date, "20200115")
        XCTAssertEqual(study.instanceCount, 3)
        XCTAssertEqual(study.seriesCount, 1)
    }

    func testSearchConditions() throws {
        let database = try ThoraxDatabase()
        try database.fileDICOMInstances(source: record(), image: nil, results: [record(series: "2.25.13", modality: "SR", sop: "2.25.14")]) {}
        try database.fileDICOMInstances(source: record(patient: "P2", name: "Roe^R", study: "2.25.50", date: "20190301",
                                                       series: "2.25.51", modality: "CR", sop: "2.25.52", number: 7),
                                        image: nil, results: []) {}
        func studies(_ conditions: [DICOMQuery.Condition], limit: Int? = nil, offset: Int = 0) throws -> [String] {
            try database.searchDICOMStudies(DICOMQuery(conditions: conditions, limit: limit, offset: offset)).map(\.study.uid)
        }
        XCTAssertEqual(try studies([]), ["2.25.10", "2.25.50"])
        XCTAssertEqual(try studies([.init(.patientID, .anyOf(["P2"]))]), ["2.25.50"])
        XCTAssertEqual(try studies([.init(.patientName, .wildcard("DOE*"))]), ["2.25.10"])
        XCTAssertEqual(try studies([.init(.patientName, .anyOf(["roe^r"]))]), ["2.25.50"])
        XCTAssertEqual(try studies([.init(.patientID, .wildcard("P?"))]), ["2.25.10", "2.25.50"])
        XCTAssertEqual(try studies([.init(.patientID, .wildcard("[P]*"))]), [], "[ matches itself, not a class")
        XCTAssertEqual(try studies([.init(.studyDate, .range(from: "20200101", to: nil))]), ["2.25.10"])
        XCTAssertEqual(try studies([.init(.studyDate, .range(from: nil, to: "20191231"))]), ["2.25.50"])
        XCTAssertEqual(try studies([.init(.modalitiesInStudy, .anyOf(["SR"]))]), ["2.25.10"])
        XCTAssertEqual(try studies([.init(.modalitiesInStudy, .anyOf(["CR", "SR"]))]), ["2.25.10", "2.25.50"])
        XCTAssertEqual(try studies([], limit: 1, offset: 1), ["2.25.50"])
        XCTAssertThrowsError(try studies([.init(.modality, .anyOf(["CR"]))]), "a series attribute in a study search")

        let first = try XCTUnwrap(try database.searchDICOMStudies(DICOMQuery(conditions: [.init(.studyInstanceUID, .anyOf(["2.25.10"]))])).first)
        XCTAssertEqual(first.modalities, ["DX", "SR"])
        XCTAssertEqual(first.patient, .init(identifier: "P1", name: "Doe^Jane", birthDate: "19610203", sex: "F"))
        XCTAssertEqual(first.study.accessionNumber, "A-2.25.10")

        let series = try database.searchDICOMSeries(DICOMQuery(conditions: [.init(.studyInstanceUID, .anyOf(["2.25.10"])),
                                                                           .init(.modality, .anyOf(["SR"]))]))
        XCTAssertEqual(series.map(\.series.uid), ["2.25.13"])
        XCTAssertEqual(series.first?.instanceCount, 1)
        let instances = try database.searchDICOMInstances(DICOMQuery(conditions: [.init(.instanceNumber, .anyOf(["7"]))]))
        XCTAssertEqual(instances.map(\.sopInstanceUID), ["2.25.52"])
        XCTAssertEqual(instances.first?.rows, 48)
        XCTAssertEqual(instances.first?.seriesUID, "2.25.51")
    }

    func testTheSchemaUpgradesInPlace() throws {
        let database = try ThoraxDatabase()
        XCTAssertEqual(try database.appliedMigrations().dropLast().last, "v5: DICOM series and instances stored by the DICOMweb service; what studies are searched by")
    }
}
