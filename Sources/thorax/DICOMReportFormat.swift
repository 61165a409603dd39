import DICOMweb
import Foundation
import Imaging
import Reports

/// DICOM SR documents as report inputs of `db import-reports` and `label`: `.dcm` files read
/// by Imaging (`DICOMFile.reportText`) and made a `Report` as STOW-RS makes one
/// (`ReportDocument`), the report named by its SOP Instance UID and linked to
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
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            return .success(ReportDocument.report(text, fallbackID: stem, source: source))
        } catch let error as ImagingError {
            return .failure(ReportReadError(source: source, message: error.reason))
        } catch {
            return .failure(ReportReadError(source: source, message: "cannot read file: \(error.localizedDescription)"))
        }
    }
}
