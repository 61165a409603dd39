import DICOMResults
import Foundation
import Imaging
import Reports
import Store

extension DICOMwebRoutes {
    /// SOP Classes of SR documents (PS3.4 B.5: Basic Text, Enhanced, Comprehensive SR and the
    /// other …88.* classes): stored as reports; any other object without pixel data gets 0122.
    static let structuredReportPrefix = "1.2.840.10008.5.1.4.1.1.88."

    /// Stores one instance without pixel data, whose top-level elements are `read`: an SR
    /// document is filed like an image (its identity checked, stored once, retrievable) and,
    /// unless it is an algorithm's results, its report text — the TEXT items under FINDINGS and
    /// IMPRESSION, or all text — becomes the study's report, labelled (`fileDICOMReport`).
    /// Results made by this service's manufacturer (its own SRs coming back from a PACS) are
    /// never read as reports. Sets `outcome`'s UIDs.
    /// - Throws: `InstanceFailure`: 0122 for an object that is not an SR document, A900 for a
    ///   missing or invalid identifier, C000 for an SR without report text, 0111 for other
    ///   bytes under a stored UID, A700 when its file cannot be written.
    func storeDocument(_ data: Data, read: DICOMDataElements, part: Int, study: String?,
                       outcome: inout InstanceOutcome) throws {
        let attributes = DocumentAttributes(read)
        func valid(_ uid: String?) -> String? { uid.flatMap { DICOMUID.problem(with: $0) == nil ? $0 : nil } }
        outcome.sopClassUID = valid(attributes[0x0008, 0x0016])
        outcome.sopInstanceUID = valid(attributes[0x0008, 0x0018])
        guard let sopClass = outcome.sopClassUID, sopClass.hasPrefix(Self.structuredReportPrefix) else {
            throw InstanceFailure(.sopClassNotSupported, "an object without pixel data (SOP Class \(outcome.sopClassUID ?? "unknown")) "
                + "that is no SR document; the service stores images and SR reports")
        }
        outcome.studyUID = valid(attributes[0x0020, 0x000D])
        outcome.seriesUID = valid(attributes[0x0020, 0x000E])
        let identity = try InstanceIdentity(sopClassUID: attributes[0x0008, 0x0016], sopInstanceUID: attributes[0x0008, 0x0018],
                                            studyUID: attributes[0x0020, 0x000D], seriesUID: attributes[0x0020, 0x000E],
                                            patientID: attributes[0x0010, 0x0020], requestStudy: study)
        let hash = contentHash(of: data)
        if let stored = try database.storedDICOMInstance(uid: identity.sopInstanceUID) {
            guard stored.contentHash == hash else {
                throw InstanceFailure(.duplicateSOPInstance, "another object is stored under this SOP Instance UID")
            }
            logger.info("instance stored before, unchanged", metadata: ["sop": "\(identity.sopInstanceUID)"])
            return
        }
        let path = try files.url(for: identity.sopInstanceUID).path
        var report: Report?
        if !attributes.isAlgorithmResults(manufacturer: predictor.algorithm.manufacturer) {
            let text: DICOMReportText
            do {
                text = try DICOMFile.reportText(data, name: "part \(part)")
            } catch let error as ImagingError {
                throw InstanceFailure(.cannotUnderstand, "an SR document without report text: \(error.reason)")
            }
            report = ReportDocument.report(text, fallbackID: identity.sopInstanceUID, source: ReportSource(path: path))
        }
        let transferSyntax: String
        do {
            transferSyntax = try DICOMFile.transferSyntax(data, name: "part \(part)")
        } catch let error as ImagingError {
            throw InstanceFailure(.cannotUnderstand, error.reason)
        }
        let record = DICOMInstanceRecord(
            patient: .init(identifier: identity.patientID, name: attributes[0x0010, 0x0010], birthDate: attributes[0x0010, 0x0030],
                           sex: attributes[0x0010, 0x0040]),
            study: .init(uid: identity.studyUID, date: attributes[0x0008, 0x0020], time: attributes[0x0008, 0x0030],
                         accessionNumber: attributes[0x0008, 0x0050], studyID: attributes[0x0020, 0x0010],
                         referringPhysician: attributes[0x0008, 0x0090], description: attributes[0x0008, 0x1030]),
            series: .init(uid: identity.seriesUID, modality: attributes[0x0008, 0x0060],
                          number: attributes[0x0020, 0x0011].flatMap { Int($0) }, description: attributes[0x0008, 0x103E]),
            sopInstanceUID: identity.sopInstanceUID, sopClassUID: identity.sopClassUID,
            instanceNumber: attributes[0x0020, 0x0013].flatMap { Int($0) }, transferSyntax: transferSyntax,
            rows: nil, columns: nil, frames: nil, bitsAllocated: nil, path: path, fileSize: data.count, contentHash: hash)
        let temporary: URL
        do {
            temporary = try files.writeTemporary(data, for: identity.sopInstanceUID)
        } catch let failure as InstanceFailure {
            throw failure
        } catch {
            throw InstanceFailure(.outOfResources, "the instance's file could not be written: \(error.localizedDescription)")
        }
        var placed: URL?
        do {
            let summary = try database.fileDICOMReport(instance: record, report: report, source: options.reportSource, labeler: labeler) {
                placed = try files.moveIntoPlace(temporary, uid: identity.sopInstanceUID)
            }
            logger.info("instance stored", metadata: [
                "sop": "\(identity.sopInstanceUID)",
                "report": "\(report == nil ? "none (an algorithm's results)" : "\(summary.labelsWritten) labels, linked \(summary.linked == 1)")",
            ])
        } catch {
            files.remove(temporary)
            if let placed { files.remove(placed) }
            switch error {
            case let failure as InstanceFailure: throw failure
            case let conflict as DICOMFilingConflict where conflict.storedInstanceUID == identity.sopInstanceUID:
                // Another request stored this UID between this one's check and its filing.
                guard try database.storedDICOMInstance(uid: identity.sopInstanceUID)?.contentHash == hash else {
                    throw InstanceFailure(.duplicateSOPInstance, "another object is stored under this SOP Instance UID")
                }
            case let conflict as DICOMFilingConflict: throw InstanceFailure(.dataSetDoesNotMatchSOPClass, conflict.reason)
            default: throw InstanceFailure(.processingFailure, "the instance could not be filed: \(type(of: error))")
            }
        }
    }
}

/// The top-level text attributes of a data set read without its pixel data (an SR document),
/// trimmed of padding; nil for one absent or empty.
struct DocumentAttributes {
    let read: DICOMDataElements

    init(_ read: DICOMDataElements) {
        self.read = read
    }

    subscript(group: UInt16, element: UInt16) -> String? {
        guard case .bytes(let bytes)? = read.elements.first(where: { $0.group == group && $0.element == element })?.value else {
            return nil
        }
        let text = read.usesLatin1 ? String(bytes.map { Character(Unicode.Scalar($0)) }) : String(decoding: bytes, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Whether the document holds an algorithm's results rather than a report: made by
    /// `manufacturer` (this service's own SRs, which a PACS sends back with the study), or a
    /// TID 1500 Imaging Measurement Report (root concept DCM 126000), whose only text items
    /// name its observer device.
    func isAlgorithmResults(manufacturer: String) -> Bool {
        if self[0x0008, 0x0070] == manufacturer { return true }
        guard case .items(let concepts)? = read.elements.first(where: { $0.group == 0x0040 && $0.element == 0xA043 })?.value,
              let concept = concepts.first,
              case .bytes(let code)? = concept.first(where: { $0.group == 0x0008 && $0.element == 0x0100 })?.value else { return false }
        return String(decoding: code, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0")) == "126000"
    }
}

/// A DICOM SR document's report text as a `Report`, shared by `db import-reports` (an SR read
/// from a file) and STOW-RS (one stored): named by its SOP Instance UID, linked to its study
/// by Study Instance UID and accession number.
public enum ReportDocument {
    /// - Parameter fallbackID: the report's id when the document has no SOP Instance UID.
    public static func report(_ text: DICOMReportText, fallbackID: String, source: ReportSource) -> Report {
        let study = text.studyInstanceUID == nil && text.accessionNumber == nil
            ? nil : StudyReference(studyInstanceUID: text.studyInstanceUID, accessionNumber: text.accessionNumber)
        return Report(id: text.sopInstanceUID ?? fallbackID, sections: text.sections.map { ReportSection(name: $0.name, text: $0.text) },
                      source: source, study: study)
    }
}
