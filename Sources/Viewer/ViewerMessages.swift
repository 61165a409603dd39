import Foundation
import Imaging
import Pipeline
import Service
import Store

/// `GET /api/images/{id}`: the image's detail without its file path (the server's layout is
/// not the client's business), with what the page needs to draw the film.
struct ImageDetailMessage: Encodable {
    var image: ImageDetail
    /// `png`, `jpeg` or `dicom`; nil when the file is not on disk (the page shows a placeholder).
    var format: String?
    /// A DICOM file's own window and the range of its modality values, for window/level presets.
    var window: DisplayWindowMessage?
    var valueRange: [Double]?
    /// The side of the square frame stored boxes are in: the NIH box file's 1024 × 1024, which
    /// the page scales to the film's pixels.
    var boxFrame = 1024

    init(_ detail: ImageDetail) {
        image = detail
        image.path = nil
        guard let file = ImagePictures.file(of: detail) else { return }
        let (data, format) = file
        self.format = format.rawValue
        guard format == .dicom, let file = try? DICOMFile(data, name: detail.name),
              let values = try? file.storedValues(), let low = values.min(), let high = values.max() else { return }
        let m = file.metadata
        let range = [Double(low) * m.rescaleSlope + m.rescaleIntercept, Double(high) * m.rescaleSlope + m.rescaleIntercept].sorted()
        valueRange = range
        if let center = m.windowCenter, let width = m.windowWidth {
            window = DisplayWindowMessage(center: center, width: width)
        } else {
            window = DisplayWindowMessage(center: (range[0] + range[1]) / 2, width: max(1, range[1] - range[0]))
        }
    }
}

struct DisplayWindowMessage: Encodable {
    var center: Double
    var width: Double
}

/// `GET /api/predictions/{id}/maps`: each class's S×S activation map (row-major) and the
/// image's size, so that the page upsamples and colours them itself (opacity, class switching).
struct ActivationMapsMessage: Encodable {
    struct ClassMap: Encodable {
        var className: String
        var probability: Float
        var threshold: Float
        var present: Bool
        var width: Int
        var height: Int
        var values: [Float]
    }

    var imageWidth: Int
    var imageHeight: Int
    var classes: [ClassMap]

    init(_ heatmaps: ImageHeatmaps) {
        imageWidth = heatmaps.image.width
        imageHeight = heatmaps.image.height
        classes = zip(heatmaps.prediction.classes, heatmaps.prediction.heatmaps).map { entry, map in
            ClassMap(className: entry.className, probability: entry.probability, threshold: entry.threshold, present: entry.present,
                     width: map.width, height: map.height, values: map.values.map { $0.isFinite ? $0 : 0 })
        }
    }
}

/// `GET /api/models`: a registered model and its card (the `model.json` it was registered with).
struct ModelCardMessage: Encodable {
    var id: Int64
    var name: String
    var card: JSONText?

    init(_ model: (id: Int64, name: String, card: String?)) {
        id = model.id
        name = model.name
        card = model.card.map(JSONText.init)
    }
}

/// Stored JSON text sent as JSON (not as a string holding it); invalid text is sent as null.
struct JSONText: Encodable {
    var text: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
            try container.encode(value)
        } else {
            try container.encodeNil()
        }
    }
}

/// `PUT /api/images/{id}/labels/{class}`'s body.
struct LabelValueMessage: Decodable {
    var value: Int?
}

/// `GET /api/reports/{id}`: the sections with the labeller's mentions (UTF-16 offsets in the
/// section's text, as JavaScript indexes strings) and the report's labels.
struct AnnotatedReportMessage: Encodable {
    struct Mention: Encodable {
        var start: Int
        var end: Int
        var finding: String
        var status: String
        var rule: String
        var text: String
    }

    struct Section: Encodable {
        var name: String
        var text: String
        var mentions: [Mention]
    }

    struct Label: Encodable {
        var className: String
        var status: String
    }

    var id: Int64
    var source: String
    var identifier: String
    var sections: [Section]
    var labels: [Label]
    var noFinding: Bool
}
