import Foundation
import Store

// The checks every command makes of the paths and names it is given, before any work: each
// failure is one line naming the path (and the option) and what is wrong, exit status 1.

/// A problem with a command's input files, stated in words (printed as "Error: <text>", exit
/// status 1).
struct InputFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What is at `path`: nothing, a folder, or a file (following links).
enum PathKind {
    case missing, folder, file

    init(_ path: String) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            self = .missing
        } else {
            self = isDirectory.boolValue ? .folder : .file
        }
    }
}

/// " (--option)" naming the option a path came from, or "" for an argument.
private func fromOption(_ option: String?) -> String {
    option.map { " (\($0))" } ?? ""
}

/// Checks that `path` is a readable file.
/// - Throws: `InputFileError` "PATH: no such file", "PATH: a folder, not a file" or
///   "PATH: not readable", naming `option` when given.
func requireInputFile(_ path: String, option: String? = nil) throws {
    switch PathKind(path) {
    case .missing: throw InputFileError("\(path): no such file\(fromOption(option))")
    case .folder: throw InputFileError("\(path): a folder, not a file\(fromOption(option))")
    case .file:
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw InputFileError("\(path): not readable (permission denied)\(fromOption(option))")
        }
    }
}

/// Checks that `path` is a folder.
/// - Throws: `InputFileError` "PATH: no such folder" or "PATH: a file, not a folder", naming
///   `option` when given.
func requireInputFolder(_ path: String, option: String? = nil) throws {
    switch PathKind(path) {
    case .missing: throw InputFileError("\(path): no such folder\(fromOption(option))")
    case .file: throw InputFileError("\(path): a file, not a folder\(fromOption(option))")
    case .folder: break
    }
}

/// Checks that a file can be written at `path`: it is not a folder, and the folder it goes in
/// exists (commands write files atomically and replace an existing one; they never create the
/// folder of a file).
/// - Throws: `InputFileError` naming the path, `option`, and what is wrong.
func requireOutputFile(_ path: String, option: String) throws {
    if PathKind(path) == .folder {
        throw InputFileError("\(path): a folder; \(option) names the file to write")
    }
    let folder = folderPart(of: path)
    switch PathKind(folder.isEmpty ? "." : folder) {
    case .missing: throw InputFileError("\(path): no folder \(folder) to write it in (\(option)); create it first")
    case .file: throw InputFileError("\(path): \(folder) is a file, not a folder (\(option))")
    case .folder: break
    }
}

/// Checks that `path` can be the folder a command writes into: a folder, or nothing yet (it
/// is then created, with the folders above it).
/// - Throws: `InputFileError` "PATH: a file, not a folder (OPTION)".
func requireOutputFolder(_ path: String, option: String) throws {
    if PathKind(path) == .file { throw InputFileError("\(path): a file, not a folder (\(option))") }
    var folder = folderPart(of: path)
    while !folder.isEmpty && folder != "/" && PathKind(folder) == .missing {
        folder = folderPart(of: folder)
    }
    if !folder.isEmpty && PathKind(folder) == .file {
        throw InputFileError("\(path): \(folder) is a file, not a folder (\(option))")
    }
}

/// Checks that the database `store`, opened from `path`, has the split `split` and each of
/// `parts` in it (the option that named the part, and the part).
/// - Throws: `InputFileError` naming the database and the missing split (with the commands
///   that make splits) or part (with the parts the split has).
func requireSplit(_ split: String, parts: [(option: String, part: String)] = [], in store: ThoraxDatabase,
                  path: String) throws {
    let existing = try store.parts(ofSplit: split)
    guard !existing.isEmpty else {
        throw InputFileError("\(path) has no split '\(split)': `thorax db import-nih` writes '\(ThoraxDatabase.officialSplit)' (parts \(ThoraxDatabase.officialTrainValidation), \(ThoraxDatabase.officialTest)), `thorax db split --name \(split)` makes a patient-level split")
    }
    for (option, part) in parts where !existing.contains(part) {
        throw InputFileError("\(option): split '\(split)' of \(path) has no part '\(part)' (it has \(existing.joined(separator: ", ")))")
    }
}

/// Checks that some of `images` (split `split`'s part `part` of the database at `path`) have
/// labels from `source`: with none, every label would be unknown and nothing could be scored
/// or learned.
/// - Throws: `InputFileError` naming the database, the part and the source.
func requireLabels(_ images: [LabelledImage], split: String, part: String, source: String, path: String) throws {
    guard !images.isEmpty, !images.contains(where: { $0.labels.contains { $0 != -1 } }) else { return }
    throw InputFileError("\(path): no image of \(split):\(part) has labels from '\(source)' (`thorax db stats` counts the labels of each source)")
}

/// Checks that some of `images` (of `what`, e.g. "official:test") have their file on disk.
/// - Throws: `InputFileError` naming the database and saying how the files are recorded.
func requireFilesOnDisk(_ images: [LabelledImage], of what: String, path: String) throws {
    guard !images.isEmpty, !images.contains(where: { image in image.path.map { PathKind($0) == .file } ?? false }) else { return }
    throw InputFileError("\(path): none of the \(images.count) images of \(what) has its file on disk (`thorax db import-nih --images FOLDER` records where they are)")
}
