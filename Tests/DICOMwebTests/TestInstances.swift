import DICOMResults
import Foundation
import TestSupport

/// Synthetic source instances: Digital X-Ray images (8-bit MONOCHROME2, explicit VR little
/// endian) with the patient, study and series attributes a test names, written by
/// DICOMResults' Part 10 writer.
struct TestInstance {
    var patientID: String? = "P-SECRET-7731"
    var patientName = "Doe^Jane"
    var birthDate = "19610203"
    var sex = "F"
    var studyUID = "2.25.4100"
    var studyDate = "20200115"
    var studyTime = "093000"
    var accessionNumber = "ACC-77"
    var studyDescription = "Chest PA"
    var seriesUID = "2.25.4101"
    var seriesNumber = 3
    var modality = "DX"
    var sopInstanceUID = "2.25.4102"
    var sopClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    var instanceNumber = 1
    var width = 64
    var height = 48

    /// Pixel (x, y): a bright disc on a gradient, so that the model sees structure.
    var pixels: [UInt8] {
        var values: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x - width / 3), dy = Double(y - height / 2)
                values.append(dx * dx + dy * dy < 100 ? 230 : UInt8((x * 3 + y * 2) % 200))
            }
        }
        return values
    }

    var bytes: [UInt8] {
        var dataSet = DataSet()
        dataSet.set(ElementTag(0x0008, 0x0016), .uniqueIdentifier, sopClassUID)
        dataSet.set(ElementTag(0x0008, 0x0018), .uniqueIdentifier, sopInstanceUID)
        dataSet.set(ElementTag(0x0008, 0x0020), .date, studyDate)
        dataSet.set(ElementTag(0x0008, 0x0030), .time, studyTime)
        dataSet.set(ElementTag(0x0008, 0x0050), .shortString, accessionNumber)
        dataSet.set(ElementTag(0x0008, 0x0060), .codeString, modality)
        dataSet.set(ElementTag(0x0008, 0x0090), .personName, "Welby^Marcus")
        dataSet.set(ElementTag(0x0008, 0x1030), .longString, studyDescription)
        dataSet.set(ElementTag(0x0010, 0x0010), .personName, patientName)
        if let patientID { dataSet.set(ElementTag(0x0010, 0x0020), .longString, patientID) }
        dataSet.set(ElementTag(0x0010, 0x0030), .date, birthDate)
        dataSet.set(ElementTag(0x0010, 0x0040), .codeString, sex)
        dataSet.set(ElementTag(0x0010, 0x1010), .ageString, "058Y")
        dataSet.set(ElementTag(0x0018, 0x5101), .codeString, "PA")
        dataSet.set(ElementTag(0x0020, 0x000D), .uniqueIdentifier, studyUID)
        dataSet.set(ElementTag(0x0020, 0x000E), .uniqueIdentifier, seriesUID)
        dataSet.set(ElementTag(0x0020, 0x0010), .shortString, "S-9")
        dataSet.set(ElementTag(0x0020, 0x0011), .integerString, String(seriesNumber))
        dataSet.set(ElementTag(0x0020, 0x0013), .integerString, String(instanceNumber))
        dataSet.set(ElementTag(0x0028, 0x0002), unsignedShort: 1)
        dataSet.set(ElementTag(0x0028, 0x0004), .codeString, "MONOCHROME2")
        dataSet.set(ElementTag(0x0028, 0x0010), unsignedShort: UInt16(height))
        dataSet.set(ElementTag(0x0028, 0x0011), unsignedShort: UInt16(width))
        dataSet.set(DataElement(ElementTag(0x0028, 0x0030), .decimalString, .strings(["0.143", "0.139"])))
        dataSet.set(ElementTag(0x0028, 0x0100), unsignedShort: 8)
        dataSet.set(ElementTag(0x0028, 0x0101), unsignedShort: 8)
        dataSet.set(ElementTag(0x0028, 0x0102), unsignedShort: 7)
        dataSet.set(ElementTag(0x0028, 0x0103), unsignedShort: 0)
        dataSet.set(DataElement(ElementTag(0x7FE0, 0x0010), .otherByte, .bytes(pixels)))
        return Array(try! Part10Writer().encode(dataSet))
    }
}

/// The committed DICOM fixtures of the image decoders (Tests/ImagingTests/Fixtures).
enum DecoderFixtures {
    static let directory = SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}
