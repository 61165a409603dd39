/// What a DICOM file says about its patient, study and pixels (absent attributes are nil).
public struct DICOMMetadata: Sendable, Equatable {
    public var transferSyntaxUID: String
    public var patientID: String?
    public var studyInstanceUID: String?
    public var seriesInstanceUID: String?
    public var sopInstanceUID: String?
    public var modality: String?
    /// (0018,5101), e.g. "PA" or "AP".
    public var viewPosition: String?
    /// (0010,1010) as written, e.g. "058Y".
    public var patientAge: String?
    /// (0010,0040): "M", "F" or "O".
    public var patientSex: String?
    /// Millimetres between pixel centres, (row spacing, column spacing): Pixel Spacing
    /// (0028,0030), else Imager Pixel Spacing (0018,1164).
    public var pixelSpacing: (row: Double, column: Double)? {
        get { pixelSpacingValues.map { ($0[0], $0[1]) } }
        set { pixelSpacingValues = newValue.map { [$0.row, $0.column] } }
    }
    var pixelSpacingValues: [Double]?

    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    public var photometricInterpretation: String
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var highBit: Int
    /// 0 unsigned, 1 two's complement.
    public var pixelRepresentation: Int
    public var numberOfFrames: Int
    public var planarConfiguration: Int
    public var rescaleSlope: Double
    public var rescaleIntercept: Double
    /// First value of Window Center / Window Width (0028,1050 / 1051), when present.
    public var windowCenter: Double?
    public var windowWidth: Double?
    /// (0028,1056): LINEAR (default), LINEAR_EXACT or SIGMOID.
    public var voiLUTFunction: String

    // What a DICOM archive files and searches an instance by (PS3.18 QIDO-RS) and what its
    // results repeat (Patient, General Study, General Series, SOP Common); text as written,
    // padding removed, decoded by the Specific Character Set (UTF-8 or Latin-1).
    /// (0008,0016), e.g. "1.2.840.10008.5.1.4.1.1.1.1" (Digital X-Ray Image Storage).
    public var sopClassUID: String? = nil
    /// (0008,0005), e.g. "ISO_IR 100"; nil: the default repertoire (ASCII).
    public var specificCharacterSet: String? = nil
    /// (0010,0010) PN, e.g. "Doe^Jane".
    public var patientName: String? = nil
    /// (0010,0030) DA, YYYYMMDD.
    public var patientBirthDate: String? = nil
    /// (0008,0020) DA and (0008,0030) TM.
    public var studyDate: String? = nil
    public var studyTime: String? = nil
    /// (0008,0050) SH.
    public var accessionNumber: String? = nil
    /// (0020,0010) SH: the study's identifier at the site, not its UID.
    public var studyID: String? = nil
    /// (0008,0090) PN.
    public var referringPhysicianName: String? = nil
    /// (0008,1030) LO.
    public var studyDescription: String? = nil
    /// (0020,0011) IS.
    public var seriesNumber: Int? = nil
    /// (0008,103E) LO.
    public var seriesDescription: String? = nil
    /// (0020,0013) IS.
    public var instanceNumber: Int? = nil
}
