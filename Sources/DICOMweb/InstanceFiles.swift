import DICOMResults
import Foundation

/// The folder of stored instance files, `<data directory>/instances`, one file per instance
/// named by its SOP Instance UID. A file is written whole under a temporary name beside its
/// place and moved there only once its instance is filed; nothing from a request but a UID
/// checked against PS3.5 9.1 ever becomes part of a path.
struct InstanceFiles: Sendable {
    let directory: URL

    /// The folder under `dataDirectory`, created (with its parents) when absent.
    /// - Throws: the file system's error when it cannot be created.
    init(dataDirectory: URL) throws {
        directory = dataDirectory.absoluteURL.standardizedFileURL.appendingPathComponent("instances", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Where the instance `uid` is stored. - Throws: `InstanceFailure` when `uid` is not a UID.
    func url(for uid: String) throws -> URL {
        if let problem = DICOMUID.problem(with: uid) {
            throw InstanceFailure(.cannotUnderstand, "no file can be named after it: \(problem)")
        }
        return directory.appendingPathComponent(uid + ".dcm")
    }

    /// Writes `data` to a new temporary file beside the place of `uid` and returns it.
    func writeTemporary(_ data: Data, for uid: String) throws -> URL {
        _ = try url(for: uid)
        let temporary = directory.appendingPathComponent(".\(uid).\(UUID().uuidString).partial")
        try data.write(to: temporary, options: .withoutOverwriting)
        return temporary
    }

    /// Moves a temporary file to the place of `uid`. Called only inside the transaction that
    /// files `uid` (which holds the database's one writer), where no stored instance has that
    /// UID: a file already there was left by a store stopped between moving and committing, and
    /// is replaced.
    func moveIntoPlace(_ temporary: URL, uid: String) throws -> URL {
        let destination = try url(for: uid)
        if FileManager.default.fileExists(atPath: destination.path) {
            try FileManager.default.removeItem(at: destination)
        }
        try FileManager.default.moveItem(at: temporary, to: destination)
        return destination
    }

    /// Removes `url` if it exists (the clean-up of a failed store).
    func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }
}
