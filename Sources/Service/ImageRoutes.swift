import Evaluation
import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import Pipeline

/// The plain image endpoint, for people with curl:
/// - `POST /v1/predict[?model=NAME][&heatmaps=present|all]` with the raw image as the body
///   (`Content-Type: image/png`, `image/jpeg` or `application/dicom`) answers per class the
///   probability, threshold and whether it is present; with `heatmaps`, the boxes of the present
///   (or all) classes' heatmaps in the image's own pixels, and an `id` under which the figures are kept;
/// - `GET /v1/predictions/{id}/heatmaps/{class}.png` answers a class's figure: the image with
///   the heatmap blended over it and its boxes (`PredictionCache` says how long ids live).
struct ImageRoutes: Sendable {
    let repository: ModelRepository
    let cache: PredictionCache
    let options: ServiceOptions
    let metrics: ServiceMetrics?

    static let predictPath = "/v1/predict"
    /// Media types the body may have, and the format each must hold.
    static let mediaTypes: [String: ImageFormat] = ["image/png": .png, "image/jpeg": .jpeg, "application/dicom": .dicom]

    func register(on router: Router<BasicRequestContext>) {
        router.post(RouterPath(Self.predictPath)) { request, _ in try await predict(request) }
        router.get("/v1/predictions/:id/heatmaps/:figure") { _, context in
            try await figure(id: context.parameters.require("id"), file: context.parameters.require("figure"))
        }
    }

    func predict(_ request: Request) async throws -> Response {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard let format = Self.mediaTypes[mediaType] else {
            throw ServiceError(.unsupportedMediaType, "Content-Type \"\(mediaType)\" is not an image this service reads; "
                + "send image/png, image/jpeg or application/dicom")
        }
        let scope = try HeatmapScope(request.uri.queryParameters.get("heatmaps"))
        let model = try await imageModel(named: request.uri.queryParameters.get("model"))
        let body = try await OpenInferenceRoutes.collectBody(request, limit: options.maximumBodyBytes)
        if let found = ImageFormat.detect(Data(body)), found != format {
            throw ServiceError.badRequest("the body is \(found.rawValue.uppercased()), not \(mediaType) as its Content-Type says")
        }
        let result: ImagePredictionResult
        do {
            result = try await model.predict(EncodedImage(bytes: body), description: "the request body", heatmaps: scope != .none)
        } catch let error as InferenceInputError {
            throw ServiceError.badRequest(error.message)
        }
        let drawing = ImageHeatmaps(image: result.image, prediction: result.prediction)
        var classes: [PredictedClass] = []
        var boxes: [Int: [BoundingBox]] = [:]
        for (index, entry) in result.prediction.classes.enumerated() {
            var predicted = PredictedClass(className: entry.className, probability: entry.probability,
                                           threshold: entry.threshold, present: entry.present)
            if scope == .all || (scope == .present && entry.present), drawing.hasHeatmap(ofClass: index) {
                boxes[index] = drawing.boxes(ofClass: index)
                predicted.boxes = boxes[index]
            }
            classes.append(predicted)
        }
        var answer = ImagePredictionMessage(model: model.name, modelVersion: model.version, width: result.image.width,
                                            height: result.image.height, classes: classes)
        if scope != .none, let id = await cache.store(PredictionCache.Entry(model: model.name, heatmaps: drawing, boxes: boxes)) {
            answer.id = id
            for index in answer.classes.indices {
                answer.classes[index].heatmap = "/v1/predictions/\(id)/heatmaps/\(Self.pathComponent(answer.classes[index].className)).png"
            }
        }
        metrics?.recordCachedPredictions(await cache.count)
        return Responses.json(answer)
    }

    func figure(id: String, file: String) async throws -> Response {
        guard file.hasSuffix(".png"), let className = String(file.dropLast(4)).removingPercentEncoding else {
            throw ServiceError.notFound("no figure \"\(file)\": figures are named <class>.png")
        }
        guard let entry = await cache.entry(id) else {
            throw ServiceError.notFound("no prediction \"\(id)\" (ids are kept for the most recent predictions with heatmaps only)")
        }
        guard let index = entry.heatmaps.prediction.classes.firstIndex(where: { $0.className == className }),
              entry.heatmaps.hasHeatmap(ofClass: index) else {
            throw ServiceError.notFound("prediction \"\(id)\" has no class \"\(className)\"")
        }
        let boxes = entry.boxes[index] ?? entry.heatmaps.boxes(ofClass: index)
        if entry.boxes[index] == nil { await cache.setBoxes(boxes, ofClass: index, for: id) }
        let png = try PNGCodec.encode(entry.heatmaps.figure(ofClass: index, boxes: boxes), compression: .fast)
        return Response(status: .ok, headers: [.contentType: "image/png"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: png)))
    }

    /// The model `name` names, or the only model served when no name is given.
    func imageModel(named name: String?) async throws -> any ImagePredictionModel {
        let chosen: String
        if let name {
            chosen = name
        } else {
            let names = await repository.names
            chosen = names.count == 1 ? names[0] : ModelDirectory.defaultName
        }
        guard let model = try await repository.model(chosen, version: nil) as? any ImagePredictionModel else {
            throw ServiceError.notFound("model \"\(chosen)\" does not predict images on \(Self.predictPath)")
        }
        return model
    }

    /// A class name as a path component (percent-encoded where it is not a plain character).
    static func pathComponent(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? name
    }
}

/// Which classes' heatmaps `/v1/predict` draws boxes from: none (the default), the present ones, or all.
enum HeatmapScope: Equatable {
    case none, present, all

    init(_ value: String?) throws(ServiceError) {
        switch value?.lowercased() {
        case nil, "none", "false": self = .none
        case "present", "true": self = .present
        case "all": self = .all
        case let other?:
            throw .badRequest("heatmaps=\(other) is not one of none, present, all")
        }
    }
}
