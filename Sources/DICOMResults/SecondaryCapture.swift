import Foundation
import Imaging

/// A Secondary Capture image (PS3.3 A.8.1) of a figure made from the source image — the
/// heatmap overlay of one class — in the source's study, in a new series: 8-bit RGB,
/// interleaved, native (uncompressed) pixel data.
public struct SecondaryCapture: Sendable {
    /// Secondary Capture Image Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.7"

    public var source: SourceImage
    public var algorithm: AlgorithmIdentity
    /// The figure's pixels.
    public var image: RGBImage
    /// What the figure shows, e.g. "Atelectasis heatmap overlay (probability 0.83)".
    public var title: String
    public var instance: ResultInstance
    /// Whether the figure has text burned into its pixels (Burned In Annotation, 0028,0301).
    public var burnedInAnnotation: Bool

    public init(source: SourceImage, algorithm: AlgorithmIdentity, image: RGBImage, title: String,
                instance: ResultInstance, burnedInAnnotation: Bool = false) {
        self.source = source
        self.algorithm = algorithm
        self.image = image
        self.title = title
        self.instance = instance
        self.burnedInAnnotation = burnedInAnnotation
    }

    /// The Part 10 file. Throws `ResultInputError` for an empty or oversized image and
    /// `DICOMWriteError` for values that do not fit their VR.
    public func encoded(writer: Part10Writer = Part10Writer()) throws -> Data {
        try writer.encode(try dataSet())
    }

    /// The image's data set.
    public func dataSet() throws -> DataSet {
        guard image.width > 0, image.height > 0, image.width <= 0xFFFF, image.height <= 0xFFFF else {
            throw ResultInputError("a secondary capture of \(image.width)×\(image.height) pixels: Rows and Columns must be 1…65535")
        }
        var dataSet = DataSet()
        dataSet.setPatientAndStudy(from: source)
        dataSet.setInstance(instance, sopClassUID: SecondaryCapture.sopClassUID, modality: "OT",
                            seriesDescription: "\(algorithm.name) heatmaps, \(DataSet.notForClinicalUse)", algorithm: algorithm)
        dataSet.set(ElementTag(0x0008, 0x0064), .codeString, "WSD")                 // SC Equipment: workstation
        dataSet.set(ElementTag(0x0008, 0x0008), .codeString, values: ["DERIVED", "SECONDARY"])
        dataSet.set(ElementTag(0x0020, 0x0020), .codeString, nil)                   // Patient Orientation: type 2C, unknown
        dataSet.set(ElementTag(0x0020, 0x4000), .longText, "\(title). \(DataSet.notForClinicalUse).")
        dataSet.set(ElementTag(0x0008, 0x2111), .shortText, "\(title), made by \(algorithm.name) \(algorithm.version)")
        var reference = DataSet()
        reference.set(ElementTag(0x0008, 0x1150), .uniqueIdentifier, source.sopClassUID)
        reference.set(ElementTag(0x0008, 0x1155), .uniqueIdentifier, source.sopInstanceUID)
        reference.set(ElementTag(0x0040, 0xA170), items: [Codes.sourceImageForProcessing.item])
        dataSet.set(ElementTag(0x0008, 0x2112), items: [reference])
        dataSet.set(ElementTag(0x0028, 0x0301), .codeString, burnedInAnnotation ? "YES" : "NO")
        // Image Pixel (C.7.6.3): RGB, interleaved (Planar Configuration 0), 8 bits unsigned.
        dataSet.set(ElementTag(0x0028, 0x0002), unsignedShort: 3)
        dataSet.set(ElementTag(0x0028, 0x0004), .codeString, "RGB")
        dataSet.set(ElementTag(0x0028, 0x0006), unsignedShort: 0)
        dataSet.set(ElementTag(0x0028, 0x0010), unsignedShort: UInt16(image.height))
        dataSet.set(ElementTag(0x0028, 0x0011), unsignedShort: UInt16(image.width))
        dataSet.set(ElementTag(0x0028, 0x0100), unsignedShort: 8)
        dataSet.set(ElementTag(0x0028, 0x0101), unsignedShort: 8)
        dataSet.set(ElementTag(0x0028, 0x0102), unsignedShort: 7)
        dataSet.set(ElementTag(0x0028, 0x0103), unsignedShort: 0)
        dataSet.set(DataElement(ElementTag(0x7FE0, 0x0010), .otherByte, .bytes(image.pixels)))
        dataSet.setCharacterSetIfNeeded()
        return dataSet
    }
}
