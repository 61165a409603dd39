/// The attributes the service names: what searches match and return, and the VRs an
/// implicit-VR instance's metadata is given (the common modules of X-ray images, secondary
/// captures and structured reports), as PS3.6 lists them (copied from pydicom's dictionary). A
/// tag not listed has no keyword for searches and is VR "UN" in an implicit-VR file's metadata.
///
/// A table in the source: no DICOM data dictionary is among the project's dependencies, and
/// the service needs only these.
enum DataDictionary {
    struct Entry: Sendable {
        var keyword: String
        var tag: UInt32
        var vr: String
    }

    /// (keyword, tag, VR), in tag order.
    static let entries: [Entry] = [
        Entry(keyword: "SpecificCharacterSet", tag: 0x00080005, vr: "CS"),
        Entry(keyword: "ImageType", tag: 0x00080008, vr: "CS"),
        Entry(keyword: "InstanceCreationDate", tag: 0x00080012, vr: "DA"),
        Entry(keyword: "InstanceCreationTime", tag: 0x00080013, vr: "TM"),
        Entry(keyword: "SOPClassUID", tag: 0x00080016, vr: "UI"),
        Entry(keyword: "SOPInstanceUID", tag: 0x00080018, vr: "UI"),
        Entry(keyword: "StudyDate", tag: 0x00080020, vr: "DA"),
        Entry(keyword: "SeriesDate", tag: 0x00080021, vr: "DA"),
        Entry(keyword: "AcquisitionDate", tag: 0x00080022, vr: "DA"),
        Entry(keyword: "ContentDate", tag: 0x00080023, vr: "DA"),
        Entry(keyword: "StudyTime", tag: 0x00080030, vr: "TM"),
        Entry(keyword: "SeriesTime", tag: 0x00080031, vr: "TM"),
        Entry(keyword: "AcquisitionTime", tag: 0x00080032, vr: "TM"),
        Entry(keyword: "ContentTime", tag: 0x00080033, vr: "TM"),
        Entry(keyword: "AccessionNumber", tag: 0x00080050, vr: "SH"),
        Entry(keyword: "InstanceAvailability", tag: 0x00080056, vr: "CS"),
        Entry(keyword: "Modality", tag: 0x00080060, vr: "CS"),
        Entry(keyword: "ModalitiesInStudy", tag: 0x00080061, vr: "CS"),
        Entry(keyword: "ConversionType", tag: 0x00080064, vr: "CS"),
        Entry(keyword: "PresentationIntentType", tag: 0x00080068, vr: "CS"),
        Entry(keyword: "Manufacturer", tag: 0x00080070, vr: "LO"),
        Entry(keyword: "InstitutionName", tag: 0x00080080, vr: "LO"),
        Entry(keyword: "InstitutionAddress", tag: 0x00080081, vr: "ST"),
        Entry(keyword: "ReferringPhysicianName", tag: 0x00080090, vr: "PN"),
        Entry(keyword: "CodeValue", tag: 0x00080100, vr: "SH"),
        Entry(keyword: "CodingSchemeDesignator", tag: 0x00080102, vr: "SH"),
        Entry(keyword: "CodeMeaning", tag: 0x00080104, vr: "LO"),
        Entry(keyword: "MappingResource", tag: 0x00080105, vr: "CS"),
        Entry(keyword: "TimezoneOffsetFromUTC", tag: 0x00080201, vr: "SH"),
        Entry(keyword: "StationName", tag: 0x00081010, vr: "SH"),
        Entry(keyword: "StudyDescription", tag: 0x00081030, vr: "LO"),
        Entry(keyword: "SeriesDescription", tag: 0x0008103E, vr: "LO"),
        Entry(keyword: "InstitutionalDepartmentName", tag: 0x00081040, vr: "LO"),
        Entry(keyword: "ManufacturerModelName", tag: 0x00081090, vr: "LO"),
        Entry(keyword: "ReferencedPerformedProcedureStepSequence", tag: 0x00081111, vr: "SQ"),
        Entry(keyword: "ReferencedSeriesSequence", tag: 0x00081115, vr: "SQ"),
        Entry(keyword: "ReferencedInstanceSequence", tag: 0x0008114A, vr: "SQ"),
        Entry(keyword: "ReferencedSOPClassUID", tag: 0x00081150, vr: "UI"),
        Entry(keyword: "ReferencedSOPInstanceUID", tag: 0x00081155, vr: "UI"),
        Entry(keyword: "RetrieveURL", tag: 0x00081190, vr: "UR"),
        Entry(keyword: "WarningReason", tag: 0x00081196, vr: "US"),
        Entry(keyword: "FailureReason", tag: 0x00081197, vr: "US"),
        Entry(keyword: "FailedSOPSequence", tag: 0x00081198, vr: "SQ"),
        Entry(keyword: "ReferencedSOPSequence", tag: 0x00081199, vr: "SQ"),
        Entry(keyword: "DerivationDescription", tag: 0x00082111, vr: "ST"),
        Entry(keyword: "SourceImageSequence", tag: 0x00082112, vr: "SQ"),
        Entry(keyword: "PatientName", tag: 0x00100010, vr: "PN"),
        Entry(keyword: "PatientID", tag: 0x00100020, vr: "LO"),
        Entry(keyword: "IssuerOfPatientID", tag: 0x00100021, vr: "LO"),
        Entry(keyword: "PatientBirthDate", tag: 0x00100030, vr: "DA"),
        Entry(keyword: "PatientSex", tag: 0x00100040, vr: "CS"),
        Entry(keyword: "PatientAge", tag: 0x00101010, vr: "AS"),
        Entry(keyword: "PatientSize", tag: 0x00101020, vr: "DS"),
        Entry(keyword: "PatientWeight", tag: 0x00101030, vr: "DS"),
        Entry(keyword: "BodyPartExamined", tag: 0x00180015, vr: "CS"),
        Entry(keyword: "KVP", tag: 0x00180060, vr: "DS"),
        Entry(keyword: "DeviceSerialNumber", tag: 0x00181000, vr: "LO"),
        Entry(keyword: "SoftwareVersions", tag: 0x00181020, vr: "LO"),
        Entry(keyword: "ProtocolName", tag: 0x00181030, vr: "LO"),
        Entry(keyword: "DistanceSourceToDetector", tag: 0x00181110, vr: "DS"),
        Entry(keyword: "ExposureTime", tag: 0x00181150, vr: "IS"),
        Entry(keyword: "XRayTubeCurrent", tag: 0x00181151, vr: "IS"),
        Entry(keyword: "Exposure", tag: 0x00181152, vr: "IS"),
        Entry(keyword: "ImagerPixelSpacing", tag: 0x00181164, vr: "DS"),
        Entry(keyword: "PatientPosition", tag: 0x00185100, vr: "CS"),
        Entry(keyword: "ViewPosition", tag: 0x00185101, vr: "CS"),
        Entry(keyword: "StudyInstanceUID", tag: 0x0020000D, vr: "UI"),
        Entry(keyword: "SeriesInstanceUID", tag: 0x0020000E, vr: "UI"),
        Entry(keyword: "StudyID", tag: 0x00200010, vr: "SH"),
        Entry(keyword: "SeriesNumber", tag: 0x00200011, vr: "IS"),
        Entry(keyword: "InstanceNumber", tag: 0x00200013, vr: "IS"),
        Entry(keyword: "PatientOrientation", tag: 0x00200020, vr: "CS"),
        Entry(keyword: "FrameOfReferenceUID", tag: 0x00200052, vr: "UI"),
        Entry(keyword: "Laterality", tag: 0x00200060, vr: "CS"),
        Entry(keyword: "ImageLaterality", tag: 0x00200062, vr: "CS"),
        Entry(keyword: "ImagesInAcquisition", tag: 0x00201002, vr: "IS"),
        Entry(keyword: "NumberOfStudyRelatedSeries", tag: 0x00201206, vr: "IS"),
        Entry(keyword: "NumberOfStudyRelatedInstances", tag: 0x00201208, vr: "IS"),
        Entry(keyword: "NumberOfSeriesRelatedInstances", tag: 0x00201209, vr: "IS"),
        Entry(keyword: "ImageComments", tag: 0x00204000, vr: "LT"),
        Entry(keyword: "SamplesPerPixel", tag: 0x00280002, vr: "US"),
        Entry(keyword: "PhotometricInterpretation", tag: 0x00280004, vr: "CS"),
        Entry(keyword: "PlanarConfiguration", tag: 0x00280006, vr: "US"),
        Entry(keyword: "NumberOfFrames", tag: 0x00280008, vr: "IS"),
        Entry(keyword: "Rows", tag: 0x00280010, vr: "US"),
        Entry(keyword: "Columns", tag: 0x00280011, vr: "US"),
        Entry(keyword: "PixelSpacing", tag: 0x00280030, vr: "DS"),
        Entry(keyword: "PixelAspectRatio", tag: 0x00280034, vr: "IS"),
        Entry(keyword: "BitsAllocated", tag: 0x00280100, vr: "US"),
        Entry(keyword: "BitsStored", tag: 0x00280101, vr: "US"),
        Entry(keyword: "HighBit", tag: 0x00280102, vr: "US"),
        Entry(keyword: "PixelRepresentation", tag: 0x00280103, vr: "US"),
        Entry(keyword: "BurnedInAnnotation", tag: 0x00280301, vr: "CS"),
        Entry(keyword: "WindowCenter", tag: 0x00281050, vr: "DS"),
        Entry(keyword: "WindowWidth", tag: 0x00281051, vr: "DS"),
        Entry(keyword: "RescaleIntercept", tag: 0x00281052, vr: "DS"),
        Entry(keyword: "RescaleSlope", tag: 0x00281053, vr: "DS"),
        Entry(keyword: "RescaleType", tag: 0x00281054, vr: "LO"),
        Entry(keyword: "WindowCenterWidthExplanation", tag: 0x00281055, vr: "LO"),
        Entry(keyword: "VOILUTFunction", tag: 0x00281056, vr: "CS"),
        Entry(keyword: "LossyImageCompression", tag: 0x00282110, vr: "CS"),
        Entry(keyword: "LossyImageCompressionRatio", tag: 0x00282112, vr: "DS"),
        Entry(keyword: "LossyImageCompressionMethod", tag: 0x00282114, vr: "CS"),
        Entry(keyword: "MeasurementUnitsCodeSequence", tag: 0x004008EA, vr: "SQ"),
        Entry(keyword: "RelationshipType", tag: 0x0040A010, vr: "CS"),
        Entry(keyword: "ValueType", tag: 0x0040A040, vr: "CS"),
        Entry(keyword: "ConceptNameCodeSequence", tag: 0x0040A043, vr: "SQ"),
        Entry(keyword: "ContinuityOfContent", tag: 0x0040A050, vr: "CS"),
        Entry(keyword: "UID", tag: 0x0040A124, vr: "UI"),
        Entry(keyword: "TextValue", tag: 0x0040A160, vr: "UT"),
        Entry(keyword: "ConceptCodeSequence", tag: 0x0040A168, vr: "SQ"),
        Entry(keyword: "PurposeOfReferenceCodeSequence", tag: 0x0040A170, vr: "SQ"),
        Entry(keyword: "MeasuredValueSequence", tag: 0x0040A300, vr: "SQ"),
        Entry(keyword: "NumericValue", tag: 0x0040A30A, vr: "DS"),
        Entry(keyword: "PerformedProcedureCodeSequence", tag: 0x0040A372, vr: "SQ"),
        Entry(keyword: "CurrentRequestedProcedureEvidenceSequence", tag: 0x0040A375, vr: "SQ"),
        Entry(keyword: "CompletionFlag", tag: 0x0040A491, vr: "CS"),
        Entry(keyword: "VerificationFlag", tag: 0x0040A493, vr: "CS"),
        Entry(keyword: "PreliminaryFlag", tag: 0x0040A496, vr: "CS"),
        Entry(keyword: "ContentTemplateSequence", tag: 0x0040A504, vr: "SQ"),
        Entry(keyword: "ContentSequence", tag: 0x0040A730, vr: "SQ"),
        Entry(keyword: "TemplateIdentifier", tag: 0x0040DB00, vr: "CS"),
        Entry(keyword: "GraphicData", tag: 0x00700022, vr: "FL"),
        Entry(keyword: "GraphicType", tag: 0x00700023, vr: "CS"),
        Entry(keyword: "PresentationLUTShape", tag: 0x20500020, vr: "CS"),
        Entry(keyword: "PixelData", tag: 0x7FE00010, vr: "OW"),
    ]

    static let byKeyword: [String: Entry] = Dictionary(uniqueKeysWithValues: entries.map { ($0.keyword, $0) })
    static let byTag: [UInt32: Entry] = Dictionary(uniqueKeysWithValues: entries.map { ($0.tag, $0) })

    /// The tag a query key or include field names: a keyword of this table, or eight hex
    /// digits ("00100020"); nil for anything else.
    static func tag(named name: String) -> UInt32? {
        if let entry = byKeyword[name] { return entry.tag }
        guard name.count == 8, name.allSatisfy(\.isHexDigit) else { return nil }
        return UInt32(name, radix: 16)
    }

    /// "GGGGEEEE", the DICOM JSON model's key of a tag.
    static func key(_ tag: UInt32) -> String {
        let digits = String(tag, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
