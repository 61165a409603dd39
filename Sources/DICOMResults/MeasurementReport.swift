import Foundation

/// A Comprehensive SR document following TID 1500 (Measurement Report) for one source image:
/// the classifier's finding per class, with its probability and present/absent at the
/// model's threshold, and each present finding's boxes as SCOORD polylines on the image.
///
/// The tree (PS3.16 TID 1500 and the templates it includes):
/// ```
/// CONTAINER Imaging Measurement Report (TID 1500)
///   HAS CONCEPT MOD  Language of Content Item and Descendants = en-US   (TID 1204)
///   HAS OBS CONTEXT  Observer Type = Device, Device Observer UID/Name/Manufacturer/Model Name (TID 1002, 1004)
///   HAS CONCEPT MOD  Procedure reported = Plain chest X-ray
///   CONTAINS Image Library > Image Library Group > IMAGE the source     (TID 1600, 1601)
///   CONTAINS Imaging Measurements
///     per class:  Measurement Group (TID 1501): Tracking Identifier = class name, Tracking UID,
///                 Finding = the class's code, Algorithm Name/Version/Parameters (TID 4019),
///                 NUM Certainty of Finding = probability (UCUM "1"),
///                 CODE <finding> = Present | Absent, IMAGE Source of Measurement
///     per box:    Measurement Group (TID 1410): Tracking Identifier "<class> region k", Tracking UID,
///                 Finding, TID 4019, SCOORD Image Region = closed POLYLINE (5 points)
///                 > SELECTED FROM IMAGE the source
///   CONTAINS Qualitative Evaluations > TEXT Comment = "NOT FOR CLINICAL USE …"
/// ```
public struct MeasurementReport: Sendable {
    /// Comprehensive SR Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.88.33"

    public var source: SourceImage
    public var algorithm: AlgorithmIdentity
    public var findings: [FindingResult]
    public var instance: ResultInstance

    public init(source: SourceImage, algorithm: AlgorithmIdentity, findings: [FindingResult], instance: ResultInstance) {
        self.source = source
        self.algorithm = algorithm
        self.findings = findings
        self.instance = instance
    }

    /// The comment the document carries in its qualitative evaluations.
    public var disclaimer: String {
        "\(DataSet.notForClinicalUse): research software (\(algorithm.name) \(algorithm.version)); "
            + "its findings are unverified machine output, not a diagnosis."
    }

    /// The Part 10 file. Throws `ResultInputError` for inputs out of range and
    /// `DICOMWriteError` for values that do not fit their VR.
    public func encoded(writer: Part10Writer = Part10Writer()) throws -> Data {
        try writer.encode(try dataSet())
    }

    /// The document's data set.
    public func dataSet() throws -> DataSet {
        try validate()
        var dataSet = DataSet()
        dataSet.setPatientAndStudy(from: source)
        dataSet.setInstance(instance, sopClassUID: MeasurementReport.sopClassUID, modality: "SR",
                            seriesDescription: "\(algorithm.name) findings, \(DataSet.notForClinicalUse)", algorithm: algorithm)
        dataSet.set(ElementTag(0x0008, 0x1111), items: [])   // Referenced Performed Procedure Step: type 2, none
        // SR Document General (PS3.3 C.17.2): the algorithm's report is complete but nobody verified it.
        dataSet.set(ElementTag(0x0040, 0xA491), .codeString, "COMPLETE")
        dataSet.set(ElementTag(0x0040, 0xA493), .codeString, "UNVERIFIED")
        dataSet.set(ElementTag(0x0040, 0xA496), .codeString, "PRELIMINARY")
        dataSet.set(ElementTag(0x0040, 0xA372), items: [Codes.plainChestXRay.item])
        dataSet.set(ElementTag(0x0040, 0xA375), items: [evidence])
        for element in root.dataSet.sortedElements {
            dataSet.set(element)
        }
        dataSet.setCharacterSetIfNeeded()
        return dataSet
    }

    /// Current Requested Procedure Evidence: the source image, as a hierarchical reference.
    var evidence: DataSet {
        var sop = DataSet()
        sop.set(ElementTag(0x0008, 0x1150), .uniqueIdentifier, source.sopClassUID)
        sop.set(ElementTag(0x0008, 0x1155), .uniqueIdentifier, source.sopInstanceUID)
        var series = DataSet()
        series.set(ElementTag(0x0020, 0x000E), .uniqueIdentifier, source.seriesInstanceUID)
        series.set(ElementTag(0x0008, 0x1199), items: [sop])
        var study = DataSet()
        study.set(ElementTag(0x0020, 0x000D), .uniqueIdentifier, source.studyInstanceUID)
        study.set(ElementTag(0x0008, 0x1115), items: [series])
        return study
    }

    var sourceReference: ContentItem.Value {
        .image(sopClassUID: source.sopClassUID, sopInstanceUID: source.sopInstanceUID)
    }

    /// The content tree's root (TID 1500).
    var root: ContentItem {
        var children: [ContentItem] = [
            ContentItem(.hasConceptModifier, Codes.languageOfContent, .code(Codes.englishUnitedStates)),
            ContentItem(.hasObservationContext, Codes.observerType, .code(Codes.device)),
            ContentItem(.hasObservationContext, Codes.deviceObserverUID, .uidReference(algorithm.deviceUID)),
            ContentItem(.hasObservationContext, Codes.deviceObserverName, .text(algorithm.name)),
            ContentItem(.hasObservationContext, Codes.deviceObserverManufacturer, .text(algorithm.manufacturer)),
            ContentItem(.hasObservationContext, Codes.deviceObserverModelName, .text(algorithm.name)),
            ContentItem(.hasConceptModifier, Codes.procedureReported, .code(Codes.plainChestXRay)),
            ContentItem(.contains, Codes.imageLibrary, .container(continuous: false, template: nil), children: [
                ContentItem(.contains, Codes.imageLibraryGroup, .container(continuous: false, template: nil), children: [
                    ContentItem(.contains, Codes.source, sourceReference),
                ]),
            ]),
        ]
        var groups = findings.map(findingGroup)
        for finding in findings where finding.present {
            groups += finding.boxes.enumerated().map { regionGroup(finding, box: $1, number: $0 + 1) }
        }
        children.append(ContentItem(.contains, Codes.imagingMeasurements, .container(continuous: false, template: nil),
                                    children: groups))
        children.append(ContentItem(.contains, Codes.qualitativeEvaluations, .container(continuous: false, template: nil),
                                    children: [ContentItem(.contains, Codes.comment, .text(disclaimer))]))
        return ContentItem(nil, Codes.imagingMeasurementReport, .container(continuous: false, template: "1500"),
                           children: children)
    }
}
