import Foundation
import Imaging
import Reports

/// DICOM SR documents as report inputs of `db import-reports` and `label`: `.dcm` files read
/// by Imaging (`DICOMFile.reportText`), the report named by its SOP Instance UID and linked to
/// its study by Study Instance UID and accession number.
enum DICOMReportFormat {
    static let fileExtension = "dcm"

    /// The reader `ReportReader` takes for `.dcm` files.
    static let formats: [String: ReportReader.FileReader] = [fileExtension: { read($0) }]

    static func read(_ path: String) -> Result<Report, ReportReadError> {
        let source = ReportSource(path: path)
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let text = try DICOMFile.reportText(data, name: path)
            let id = text.sopInstanceUID ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let study = text.studyInstanceUID == nil && text.accessionNumber == nil
                ? nil : StudyReference(studyInstanceUID: text.studyInstanceUID, accessionNumber: text.accessionNumber)
            return .success(Report(id: id, sections: text.sections.map { ReportSection(name: $0.name, text: $0.text) },
                                   source: source, study: study))
        } catch let error as ImagingError {
            return .failure(ReportReadError(source: source, message: error.reason))
        } catch {
            return .failure(ReportReadError(source: source, message: "cannot read file: \(error.localizedDescription)"))
        }
    }
}
