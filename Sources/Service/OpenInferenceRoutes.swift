import HTTPTypes
import Hummingbird

/// The Open Inference Protocol v2 endpoints (HTTP/REST) on a Hummingbird router.
struct OpenInferenceRoutes: Sendable {
    let repository: ModelRepository
    let options: ServiceOptions

    static let livePath = "/v2/health/live"
    static let readyPath = "/v2/health/ready"

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v2") { _, _ in
            Responses.json(ServerMetadata(name: options.serverName, version: options.serverVersion,
                                          extensions: OpenInference.extensions))
        }
        router.get(RouterPath(OpenInferenceRoutes.livePath)) { _, _ in Responses.health(true) }
        router.get(RouterPath(OpenInferenceRoutes.readyPath)) { _, _ in Responses.health(await repository.isReady) }
        for prefix in ["/v2/models/:name", "/v2/models/:name/versions/:version"] {
            router.get(RouterPath(prefix)) { _, context in
                Responses.json(OpenInference.metadata(of: try await model(context)))
            }
            router.get(RouterPath(prefix + "/ready")) { _, context in
                let name = try context.parameters.require("name")
                guard await repository.state(of: name) != nil else { throw ServiceError.notFound("unknown model \"\(name)\"") }
                do {
                    _ = try await model(context)
                    return Responses.health(true)
                } catch let error as ServiceError where error.status == .serviceUnavailable {
                    return Responses.health(false)
                }
            }
            router.post(RouterPath(prefix + "/infer")) { request, context in
                try await infer(request, context: context)
            }
        }
    }

    func model(_ context: BasicRequestContext) async throws(ServiceError) -> any InferenceModel {
        guard let name = context.parameters.get("name") else { throw .notFound("no model name in the path") }
        return try await repository.model(name, version: context.parameters.get("version"))
    }

    func infer(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let model = try await model(context)
        let body = try await Self.collectBody(request, limit: options.maximumBodyBytes)
        let parsed = try InferenceRequest(body: body, jsonLength: request.headers[HTTPField.Name(OpenInference.headerLengthField)!],
                                          model: model)
        let results: [ModelOutput]
        do {
            switch parsed.input {
            case .tensor(let values, let shape):
                results = try await model.infer(tensor: values, shape: shape, heatmaps: parsed.wantsHeatmaps)
            case .images(let images):
                results = try await model.infer(images: images, heatmaps: parsed.wantsHeatmaps)
            }
        } catch let error as InferenceInputError {
            throw ServiceError.badRequest(error.message)
        }
        let response = try InferenceResponse(request: parsed, results: results, model: model)
        guard response.hasBinary else {
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.json)))
        }
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        headers[HTTPField.Name(OpenInference.headerLengthField)!] = String(response.json.count)
        return Response(status: .ok, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.json + response.binary)))
    }

    /// The whole request body, refused with 413 past `limit` bytes: at once when Content-Length
    /// says so, else as soon as that many bytes have arrived.
    static func collectBody(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw ServiceError(.contentTooLarge, "the request body of \(declared) bytes exceeds the limit of \(limit) bytes")
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ServiceError(.contentTooLarge, "the request body exceeds the limit of \(limit) bytes")
        }
    }
}
