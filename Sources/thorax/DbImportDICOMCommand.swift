import ArgumentParser
import Foundation
import Imaging
import Store

/// `thorax db import-dicom`: DICOM files with their patient, study and acquisition attributes.
struct DbImportDICOMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-dicom",
        abstract: "Store DICOM images with their patient and study.",
        discussion: """
        Reads each file's header (Imaging's DICOM parser): the image is named by its SOP \
        Instance UID, its patient by Patient ID (the same identifier as an NIH Patient ID is the \
        same patient), its study by Study Instance UID; age, sex, view position, pixel spacing, \
        rows and columns, the file's path, size and SHA-256 are stored with it. Directories are \
        searched recursively for files with the DICOM Part 10 signature; other files there are \
        counted, and a directory with none is an error. A file that cannot be read, or lacks a \
        SOP Instance UID or Patient ID, is named on standard error and the others are imported \
        (exit status 1); with nothing to import, the database is left alone (not created). \
        Re-importing changes nothing; one transaction.

        Example:
          thorax db import-dicom ~/nih/dicom
        """
    )

    @OptionGroup var options: ImportDatabaseOptions

    @Argument(help: "DICOM files, or directories to search.")
    var inputs: [String]

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one DICOM file or directory") }
    }

    func run() throws {
        for input in inputs where PathKind(input) == .missing {
            throw InputFileError("\(input): no such file or directory")
        }
        try options.check()
        var files: [String] = []
        var others = 0
        var failures: [String] = []
        for input in inputs {
            if PathKind(input) == .folder {
                let found = try Self.dicomFiles(in: input)
                if found.files.isEmpty {
                    failures.append("\(input): no DICOM files in this folder (looked for the DICOM Part 10 signature, 'DICM' at byte 128); "
                        + (found.others == 0 ? "it is empty" : "it holds \(found.others) other file\(found.others == 1 ? "" : "s")"))
                }
                files += found.files
                others += found.others
            } else {
                files.append(input)
            }
        }
        var records: [ImageRecord] = []
        let progress = ProgressLine("import-dicom", total: files.count, unit: "files")
        for (index, path) in files.enumerated() {
            switch Self.record(path) {
            case .success(let record): records.append(record)
            case .failure(let failure): failures.append(failure.description)
            }
            progress.update(index + 1)
        }
        progress.finish()
        guard !records.isEmpty else {
            // Nothing to import: the database is neither created nor opened.
            for failure in failures { FileHandle.standardError.write(Data("error: \(failure)\n".utf8)) }
            FileHandle.standardError.write(Data("imported nothing: no readable DICOM file among the inputs\n".utf8))
            throw ExitCode(1)
        }
        let summary = try options.importing { try $0.importImages(records) }
        failures += summary.duplicates
        print("read \(files.count) DICOM file\(files.count == 1 ? "" : "s")"
            + (others == 0 ? "" : " (\(others) other file\(others == 1 ? "" : "s") in the directories left alone)"))
        print("added \(summary.patientsAdded) patients, \(summary.studiesAdded) studies, \(summary.imagesAdded) images; "
            + "updated \(summary.imagesUpdated) images; \(summary.unchanged) unchanged")
        for failure in failures { FileHandle.standardError.write(Data("error: \(failure)\n".utf8)) }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    /// The regular files under `directory` (recursively, sorted) with the DICOM Part 10
    /// signature ("DICM" at byte 128), and the number of other files.
    static func dicomFiles(in directory: String) throws -> (files: [String], others: Int) {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw InputFileError("\(directory): cannot list the directory")
        }
        var files: [String] = [], others = 0
        for case let relative as String in enumerator {
            let path = (directory as NSString).appendingPathComponent(relative)
            guard (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular else {
                continue
            }
            guard let handle = FileHandle(forReadingAtPath: path) else { others += 1; continue }
            let head = handle.readData(ofLength: 132)
            try? handle.close()
            if head.count == 132 && head.suffix(4) == Data("DICM".utf8) { files.append(path) } else { others += 1 }
        }
        return (files.sorted(), others)
    }

    /// A file that could not be imported, and why.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The record of the DICOM file `path`: its header's attributes, the first frame's size,
    /// and the file's absolute path, size and SHA-256.
    /// Errors name the file by that absolute path too.
    static func record(_ input: String) -> Result<ImageRecord, Failure> {
        let url = URL(fileURLWithPath: input).standardizedFileURL
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            return .failure(Failure(description: "\(path): cannot read the file (\(error.localizedDescription))"))
        }
        let metadata: DICOMMetadata
        do {
            metadata = try DICOMFile(data, name: path).metadata
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
        guard let name = metadata.sopInstanceUID else {
            return .failure(Failure(description: "\(path): no SOP Instance UID (0008,0018) to name the image by"))
        }
        guard let patient = metadata.patientID else {
            return .failure(Failure(description: "\(path): no Patient ID (0010,0020)"))
        }
        let sex = metadata.patientSex.flatMap { ["M", "F", "O"].contains($0) ? $0 : nil }
        return .success(ImageRecord(
            name: name, patient: patient, study: metadata.studyInstanceUID,
            age: metadata.patientAge.flatMap(ImageRecord.years(fromAgeString:)), sex: sex, view: metadata.viewPosition,
            pixelSpacingX: metadata.pixelSpacing?.column, pixelSpacingY: metadata.pixelSpacing?.row,
            file: ImageFile(path: url.path, size: data.count, width: metadata.columns, height: metadata.rows,
                            contentHash: contentHash(of: data))))
    }
}
