import ArgumentParser
import Foundation
import Imaging

/// `thorax image info`: what a file is and, for DICOM, its metadata, as JSON.
struct ImageInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print a file's format, size and (DICOM) metadata as JSON.",
        discussion: """
        Example:
          thorax image info ~/nih/dicom/test1.dcm
        """
    )

    @Argument(help: "A PNG, JPEG or DICOM file.")
    var input: String

    func run() throws {
        try requireInputFile(input)
        let url = URL(fileURLWithPath: input)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InputFileError("\(input): cannot read the file")
        }
        var info: [String: Any] = ["file": input]
        do {
            guard let format = ImageFormat.detect(data) else {
                throw ImagingError(file: input, reason: "not a PNG, JPEG or DICOM Part 10 file")
            }
            info["format"] = format.rawValue
            if format == .dicom {
                let m = try DICOMFile(data, name: input).metadata
                let optional: [String: String?] = [
                    "patient_id": m.patientID, "study_instance_uid": m.studyInstanceUID,
                    "series_instance_uid": m.seriesInstanceUID, "sop_instance_uid": m.sopInstanceUID,
                    "modality": m.modality, "view_position": m.viewPosition, "patient_age": m.patientAge,
                    "patient_sex": m.patientSex,
                ]
                for (key, value) in optional { if let value { info[key] = value } }
                info["transfer_syntax"] = DICOMTransferSyntax.describe(m.transferSyntaxUID)
                info["width"] = m.columns
                info["height"] = m.rows
                info["frames"] = m.numberOfFrames
                info["bits_stored"] = m.bitsStored
                info["photometric_interpretation"] = m.photometricInterpretation
                if let spacing = m.pixelSpacing { info["pixel_spacing_mm"] = [spacing.row, spacing.column] }
                if let center = m.windowCenter, let width = m.windowWidth { info["window"] = [center, width] }
            } else {
                let image = try ImageDecoder.decode(data, name: input)
                info["width"] = image.width
                info["height"] = image.height
            }
        } catch let error as ImagingError {
            throw InputFileError(error.description)
        }
        let json = try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: json, as: UTF8.self))
    }
}
