/// A coded concept (PS3.3 8.8): code value, coding scheme designator and code meaning.
public struct CodedConcept: Sendable, Equatable, Hashable {
    public var value: String
    public var scheme: String
    public var meaning: String

    public init(_ value: String, _ scheme: String, _ meaning: String) {
        self.value = value
        self.scheme = scheme
        self.meaning = meaning
    }

    /// The Code Sequence Macro item: (0008,0100), (0008,0102), (0008,0104). Code values of
    /// more than 16 characters (possible only for the local scheme) go into Long Code Value
    /// (0008,0119) as PS3.3 8.8 requires.
    var item: DataSet {
        var item = DataSet()
        if value.count > 16 {
            item.set(ElementTag(0x0008, 0x0119), .unlimitedCharacters, value)
        } else {
            item.set(ElementTag(0x0008, 0x0100), .shortString, value)
        }
        item.set(ElementTag(0x0008, 0x0102), .shortString, scheme)
        item.set(ElementTag(0x0008, 0x0104), .longString, meaning)
        return item
    }
}

/// The codes the results use, each from the DICOM Content Mapping Resource (PS3.16) or the
/// terminologies it draws on; the row of the template or the context group that names each
/// is in its comment.
public enum Codes {
    // TID 1500 Measurement Report and the templates it includes.
    /// CID 7021: the document title.
    static let imagingMeasurementReport = CodedConcept("126000", "DCM", "Imaging Measurement Report")
    /// TID 1204: the language of the content.
    static let languageOfContent = CodedConcept("121049", "DCM", "Language of Content Item and Descendants")
    static let englishUnitedStates = CodedConcept("en-US", "RFC5646", "English (United States)")
    /// TID 1002 / 1004: the observer is a device, identified by UID, name, manufacturer, model.
    static let observerType = CodedConcept("121005", "DCM", "Observer Type")
    static let device = CodedConcept("121007", "DCM", "Device")
    static let deviceObserverUID = CodedConcept("121012", "DCM", "Device Observer UID")
    static let deviceObserverName = CodedConcept("121013", "DCM", "Device Observer Name")
    static let deviceObserverManufacturer = CodedConcept("121014", "DCM", "Device Observer Manufacturer")
    static let deviceObserverModelName = CodedConcept("121015", "DCM", "Device Observer Model Name")
    /// TID 1500 row 4, a value from CID 100's extensible list: SNOMED CT's plain chest X-ray.
    static let procedureReported = CodedConcept("121058", "DCM", "Procedure reported")
    static let plainChestXRay = CodedConcept("399208008", "SCT", "Plain chest X-ray")
    /// TID 1600 / 1601: the image library.
    static let imageLibrary = CodedConcept("111028", "DCM", "Image Library")
    static let imageLibraryGroup = CodedConcept("126200", "DCM", "Image Library Group")
    static let source = CodedConcept("260753009", "SCT", "Source")
    /// TID 1500 row 6 and the groups of TID 1501 and TID 1410 inside it.
    static let imagingMeasurements = CodedConcept("126010", "DCM", "Imaging Measurements")
    static let measurementGroup = CodedConcept("125007", "DCM", "Measurement Group")
    static let trackingIdentifier = CodedConcept("112039", "DCM", "Tracking Identifier")
    static let trackingUniqueIdentifier = CodedConcept("112040", "DCM", "Tracking Unique Identifier")
    static let finding = CodedConcept("121071", "DCM", "Finding")
    static let sourceOfMeasurement = CodedConcept("121112", "DCM", "Source of Measurement")
    static let imageRegion = CodedConcept("111030", "DCM", "Image Region")
    /// TID 4019 Algorithm Identification.
    static let algorithmName = CodedConcept("111001", "DCM", "Algorithm Name")
    static let algorithmVersion = CodedConcept("111003", "DCM", "Algorithm Version")
    static let algorithmParameters = CodedConcept("111002", "DCM", "Algorithm Parameters")
    /// The probability: CID 6048's CAD operating-point measure "Certainty of Finding", in
    /// UCUM's unity "1" (CID 7181 "no units") because a probability is a pure number in
    /// [0, 1], not a ratio of two measured quantities (which "{ratio}" would say).
    static let certaintyOfFinding = CodedConcept("111012", "DCM", "Certainty of Finding")
    static let noUnits = CodedConcept("1", "UCUM", "no units")
    /// CID 241 Present-Absent Only: the qualitative evaluation at the model's threshold.
    static let present = CodedConcept("52101004", "SCT", "Present")
    static let absent = CodedConcept("272519000", "SCT", "Absent")
    /// TID 1500 rows 12–14: the report-level qualitative evaluations, here a comment.
    static let qualitativeEvaluations = CodedConcept("C0034375", "UMLS", "Qualitative Evaluations")
    static let comment = CodedConcept("121106", "DCM", "Comment")
    /// Secondary Capture derivation: the purpose of the Source Image Sequence reference (CID 7202).
    static let sourceImageForProcessing = CodedConcept("121322", "DCM", "Source image for image processing operation")
}
