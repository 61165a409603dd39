import DICOMwebClient
import Foundation
import Imaging
import Store

/// What `db import-dicomweb` did.
struct DICOMwebImportSummary {
    var start = Date()
    var retrieved = 0
    var bytes = 0
    var present = 0
    var notImages = 0
    var patientsAdded = 0
    var studiesAdded = 0
    var imagesAdded = 0
    var failures: [String] = []
}

extension DbImportDICOMwebCommand {
    /// SOP Classes without pixel data that archives hold beside images: SR documents (…88.*),
    /// presentation states (…11.*), encapsulated documents (…104.*), key objects among the SRs.
    static let nonImagePrefixes = ["1.2.840.10008.5.1.4.1.1.88.", "1.2.840.10008.5.1.4.1.1.11.", "1.2.840.10008.5.1.4.1.1.104."]

    /// Retrieves the instances of `plan` not yet in `database` into `folder` and records each
    /// study's images in one transaction.
    func retrieve(_ plan: [(study: String, instances: [DICOMwebReader.Instance])], total: Int, from reader: DICOMwebReader,
                  into folder: URL, database: ThoraxDatabase) async throws -> DICOMwebImportSummary {
        var summary = DICOMwebImportSummary()
        let progress = ProgressLine("import-dicomweb", total: total, unit: "instances")
        var done = 0
        for (_, instances) in plan {
            let present = try database.imageNames(among: instances.map(\.sopInstanceUID))
            var records: [ImageRecord] = []
            for instance in instances {
                defer { done += 1; progress.update(done) }
                if present.contains(instance.sopInstanceUID) { summary.present += 1; continue }
                if let sopClass = instance.sopClassUID, Self.nonImagePrefixes.contains(where: sopClass.hasPrefix) {
                    summary.notImages += 1
                    continue
                }
                // The UID becomes a file name: digits and dots only (PS3.5 9.1), which also keeps it in the folder.
                let uid = instance.sopInstanceUID
                guard !uid.isEmpty, uid.count <= 64, uid.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), !uid.hasPrefix(".") else {
                    summary.failures.append("an instance of study \(instance.studyInstanceUID): its SOP Instance UID is not a DICOM UID")
                    continue
                }
                do {
                    let bytes = try await reader.retrieve(instance)
                    let place = folder.appendingPathComponent(uid + ".dcm")
                    let temporary = folder.appendingPathComponent(".\(uid).\(UUID().uuidString).partial")
                    try Data(bytes).write(to: temporary)
                    if FileManager.default.fileExists(atPath: place.path) { try FileManager.default.removeItem(at: place) }
                    try FileManager.default.moveItem(at: temporary, to: place)
                    summary.retrieved += 1
                    summary.bytes += bytes.count
                    switch DbImportDICOMCommand.record(place.path) {
                    case .success(let record): records.append(record)
                    case .failure(let failure): summary.failures.append("\(uid) from \(reader.baseURL): \(failure)")
                    }
                } catch {
                    summary.failures.append("\(uid): \(error)")
                }
            }
            if !records.isEmpty {
                let imported = try database.importImages(records)
                summary.patientsAdded += imported.patientsAdded
                summary.studiesAdded += imported.studiesAdded
                summary.imagesAdded += imported.imagesAdded
                summary.failures += imported.duplicates
            }
        }
        progress.finish()
        return summary
    }
}

extension ImportDatabaseOptions {
    /// `importing(_:)` for an async `body`: the database, created when absent and removed
    /// again when `body` throws and this call created it.
    func importingAsync<T>(_ body: (ThoraxDatabase) async throws -> T) async throws -> T {
        let created = try ThoraxDatabase.inspect(database) == .absent
        do {
            return try await body(try ThoraxDatabase(path: database))
        } catch {
            if created {
                for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            }
            throw error
        }
    }
}
