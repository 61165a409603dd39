import DICOMResults
import Evaluation
import Foundation
import Imaging
import Reporting

/// One result made for a stored instance, encoded and ready to store: the measurement report
/// or a heatmap figure, with what filing it needs.
struct EncodedResult: Sendable {
    var sopInstanceUID: String
    var sopClassUID: String
    var seriesUID: String
    var seriesNumber: Int
    var seriesDescription: String?
    var modality: String
    var instanceNumber: Int
    var rows: Int?
    var columns: Int?
    var bytes: Data
}

/// The results of one source image: a TID 1500 Comprehensive SR with every
/// class's probability and presence and the boxes of present classes, and a Secondary Capture
/// of the heatmap overlay of each present class, each in a new series of the source's study.
struct ResultInstances {
    var source: SourceImage
    var algorithm: AlgorithmIdentity
    var reportSeriesNumber: Int
    var figureSeriesNumber: Int
    var created = Date()

    /// The report, then the figures in class order. Boxes come from each present class's
    /// heatmap once (`BoxExtraction` in the image's own pixels) and serve both.
    /// - Throws: `ResultInputError` or `DICOMWriteError` (an input the writer refuses).
    func make(image: GrayscaleImage, prediction: Prediction) throws -> [EncodedResult] {
        let extraction = BoxExtraction(frameWidth: image.width, frameHeight: image.height)
        var findings: [FindingResult] = []
        var figures: [(className: String, probability: Float, boxes: [BoundingBox], heatmap: Heatmap)] = []
        for (c, entry) in prediction.classes.enumerated() {
            var boxes: [BoundingBox] = []
            if entry.present, c < prediction.heatmaps.count {
                boxes = extraction.boxes(in: prediction.heatmaps[c]).map(\.box)
                figures.append((entry.className, entry.probability, boxes, prediction.heatmaps[c]))
            }
            findings.append(FindingResult(className: entry.className, probability: Double(entry.probability),
                                          threshold: Double(entry.threshold), present: entry.present,
                                          boxes: boxes.compactMap { pixelBox($0) }))
        }
        let report = MeasurementReport(source: source, algorithm: algorithm, findings: findings,
                                       instance: ResultInstance(seriesNumber: reportSeriesNumber, created: created))
        var results = [try encoded(report.dataSet(), modality: "SR", instance: report.instance)]
        let figureSeries = DICOMUID.make()
        for (index, figure) in figures.enumerated() {
            let picture = HeatmapFigure.render(image: image, heatmap: figure.heatmap, detections: figure.boxes,
                                               frameWidth: image.width, frameHeight: image.height)
            let title = "\(figure.className) heatmap overlay (probability \(String(format: "%.3f", figure.probability)))"
            let capture = SecondaryCapture(source: source, algorithm: algorithm, image: picture, title: title,
                                           instance: ResultInstance(seriesInstanceUID: figureSeries, seriesNumber: figureSeriesNumber,
                                                                    instanceNumber: index + 1, created: created))
            var result = try encoded(capture.dataSet(), modality: "OT", instance: capture.instance)
            result.rows = picture.height
            result.columns = picture.width
            results.append(result)
        }
        return results
    }

    func encoded(_ dataSet: DataSet, modality: String, instance: ResultInstance) throws -> EncodedResult {
        var description: String?
        if case .strings(let values)? = dataSet[ElementTag(0x0008, 0x103E)]?.value { description = values.first }
        var sopClassUID = ""
        if case .strings(let values)? = dataSet[ElementTag(0x0008, 0x0016)]?.value { sopClassUID = values.first ?? "" }
        return EncodedResult(sopInstanceUID: instance.sopInstanceUID, sopClassUID: sopClassUID,
                             seriesUID: instance.seriesInstanceUID, seriesNumber: instance.seriesNumber,
                             seriesDescription: description, modality: modality, instanceNumber: instance.instanceNumber,
                             rows: nil, columns: nil, bytes: try Part10Writer().encode(dataSet))
    }

    /// A box of the image's pixels as SCOORD corners, clipped to the image; nil when empty.
    func pixelBox(_ box: BoundingBox) -> PixelBox? {
        let x0 = max(0, box.x), y0 = max(0, box.y)
        let x1 = min(Double(source.columns), box.x + box.width), y1 = min(Double(source.rows), box.y + box.height)
        return x0 < x1 && y0 < y1 ? PixelBox(x0: x0, y0: y0, x1: x1, y1: y1) : nil
    }
}

extension SourceImage {
    /// The source as the results repeat it, from the instance's metadata. A value the writer
    /// would refuse for its VR (a malformed date, an over-long name) is left out of the
    /// results rather than failing them; the UIDs are checked before this is called.
    init(_ metadata: DICOMMetadata, sopClassUID: String, sopInstanceUID: String, studyUID: String, seriesUID: String) {
        func valid(_ value: String?, _ vr: ValueRepresentation) -> String? {
            value.flatMap { vr.problem(with: $0) == nil ? $0 : nil }
        }
        self.init(sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, studyInstanceUID: studyUID,
                  seriesInstanceUID: seriesUID, rows: metadata.rows, columns: metadata.columns,
                  patientName: valid(metadata.patientName, .personName), patientID: valid(metadata.patientID, .longString),
                  patientBirthDate: valid(metadata.patientBirthDate, .date),
                  patientSex: metadata.patientSex.flatMap { ["M", "F", "O"].contains($0) ? $0 : nil },
                  studyDate: valid(metadata.studyDate, .date), studyTime: valid(metadata.studyTime, .time),
                  studyID: valid(metadata.studyID, .shortString), accessionNumber: valid(metadata.accessionNumber, .shortString),
                  referringPhysicianName: valid(metadata.referringPhysicianName, .personName))
    }
}
