import DICOMResults
import Foundation
import Imaging
import XCTest

/// Result inputs for the tests: a DX source image in a study, the 14 ChestX-ray14 classes
/// with two present (one with two boxes), and a small RGB figure.
enum Samples {
    static let classNames = [
        "Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
        "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia",
    ]

    static let source = SourceImage(
        sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1", sopInstanceUID: "2.25.1001", studyInstanceUID: "2.25.1002",
        seriesInstanceUID: "2.25.1003", rows: 1024, columns: 1024, patientName: "Doe^Jane", patientID: "P-0001",
        patientBirthDate: "19600101", patientSex: "M", studyDate: "20200102", studyTime: "101500",
        studyID: "S1", accessionNumber: "A-17", referringPhysicianName: nil)

    static let algorithm = AlgorithmIdentity(name: "thorax-efficientnet-lite0", version: "1.2.0",
                                             deviceUID: "2.25.173560287831331104970981912180128266278")

    /// Class i has probability (i + 1) / 20 and threshold 0.5 except Cardiomegaly (index 1,
    /// threshold 0.05, present, two boxes) and Hernia (index 13, present at 0.7, one box).
    static var findings: [FindingResult] {
        classNames.enumerated().map { index, name in
            let probability = Double(index + 1) / 20
            switch name {
            case "Cardiomegaly":
                return FindingResult(className: name, probability: probability, threshold: 0.05, present: true, boxes: [
                    PixelBox(x0: 100, y0: 200, x1: 400, y1: 520), PixelBox(x0: 600.5, y0: 10, x1: 1024, y1: 90.25),
                ])
            case "Hernia":
                return FindingResult(className: name, probability: probability, threshold: 0.5, present: true,
                                     boxes: [PixelBox(x0: 0, y0: 0, x1: 64, y1: 32)])
            default:
                return FindingResult(className: name, probability: probability, threshold: 0.5, present: probability >= 0.5)
            }
        }
    }

    static func report(seriesNumber: Int = 9001) -> MeasurementReport {
        MeasurementReport(source: source, algorithm: algorithm, findings: findings,
                          instance: ResultInstance(seriesNumber: seriesNumber, created: Date(timeIntervalSince1970: 1_700_000_000)))
    }

    /// A 7 × 5 figure (odd sizes, so the pixel data has odd length and is padded) of distinct colours.
    static var figure: RGBImage {
        let width = 7, height = 5
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width { pixels += [UInt8(x * 30), UInt8(y * 50), UInt8((x + y) * 17 % 256)] }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    static func secondaryCapture() -> SecondaryCapture {
        SecondaryCapture(source: source, algorithm: algorithm, image: figure,
                         title: "Cardiomegaly heatmap overlay (probability 0.1)",
                         instance: ResultInstance(seriesNumber: 9002, created: Date(timeIntervalSince1970: 1_700_000_000)))
    }
}

extension XCTestCase {
    /// Writes `data` to a new temporary directory, removed when the test ends; returns the file.
    func writeTemporary(_ data: Data, name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("thorax-dicom-results-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }
}
