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
}
