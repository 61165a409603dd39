import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Reports
import Service
import Store

/// The web viewer over the database: its pages at `/` and `/viewer/…` (package resources) and
/// the JSON endpoints they read under `/api`. Errors are `ServiceError`s, answered by the
/// service's error middleware with `{"error": "…"}`; the request log has paths only, so a
/// patient filter in a query string is never logged.
public struct ViewerRoutes: Sendable {
    let database: ThoraxDatabase
    let cache: PredictionCache
    let options: ViewerOptions
    let pictures: ImagePictures
    let mentions: ReportMentions
    let staticFiles: StaticFiles
    let logger: Logger

    /// Registers the viewer on `router` (after the service's middleware):
    ///
    /// - `GET /`, `GET /viewer/{file}`: the pages, scripts and styles
    /// - `GET /api/images?split&part&finding&source&model&min&boxes&patient&sort&page`: a page of 50
    /// - `GET /api/images/{id}`: the image's detail; `…/thumbnail.png`, `…/image.png[?center&width]`
    ///   (DICOM windowed), `…/file` (the stored bytes, to post to `/v1/predict`)
    /// - `PUT /api/images/{id}/labels/{class}` `{"value": 1|0|-1|null}`: a human label (label token)
    /// - `GET /api/reports[?finding&offset]`, `GET /api/reports/{id}`: reports with the labeller's mentions
    /// - `GET /api/predictions/{id}/maps`: the class activation maps of a `/v1/predict` with heatmaps
    /// - `GET /api/models`: the registered models' cards; `GET /api/models/{id}/roc.svg[?split&part]`:
    ///   ROC curves of its stored probabilities against the NIH labels (official test part by default)
    /// - `GET /api/models/compare?first&second[&offset]`: two models' stored probabilities on the
    ///   images both predicted, 50 at a time
    ///
    /// - Throws: when the thumbnail folder cannot be made, the labeller's rules or the pages
    ///   (package resources) cannot be read.
    public static func register<Context: RequestContext>(on router: Router<Context>, database: ThoraxDatabase,
                                                         cache: PredictionCache, options: ViewerOptions,
                                                         logger: Logger) throws {
        try FileManager.default.createDirectory(at: options.thumbnailDirectory, withIntermediateDirectories: true)
        let routes = ViewerRoutes(database: database, cache: cache, options: options,
                                  pictures: ImagePictures(thumbnailDirectory: options.thumbnailDirectory,
                                                          thumbnailSize: options.thumbnailSize),
                                  mentions: ReportMentions(labeler: try ReportLabeler()),
                                  staticFiles: try StaticFiles.bundled(), logger: logger)
        routes.add(to: router)
    }

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/") { _, _ in try staticFiles.response(for: "index.html") }
        router.get("/viewer/**") { _, context in
            try staticFiles.response(for: context.parameters.getCatchAll().joined(separator: "/"))
        }
        router.get("/api/images") { request, _ in try json(database.browseImages(try ViewerQuery.filter(request))) }
        router.get("/api/images/:id") { _, context in try json(ImageDetailMessage(try detail(context))) }
        router.get("/api/images/:id/thumbnail.png") { _, context in try pictures.thumbnail(of: try detail(context)) }
        router.get("/api/images/:id/image.png") { request, context in
            try pictures.rendered(try detail(context), window: try ViewerQuery.window(request))
        }
        router.get("/api/images/:id/file") { _, context in try pictures.storedFile(of: try detail(context)) }
        router.put("/api/images/:id/labels/:class") { request, context in try await setLabel(request, context) }
        router.get("/api/reports") { request, _ in
            let query = request.uri.queryParameters
            return try json(database.reportSummaries(finding: query.get("finding").flatMap { $0.isEmpty ? nil : $0 },
                                                     offset: try ViewerQuery.integer(query.get("offset"), "offset") ?? 0))
        }
        router.get("/api/reports/:id") { _, context in
            let id = try ViewerQuery.identifier(context.parameters.get("id"), "report")
            guard let report = try database.storedReport(id: id) else { throw ServiceError.notFound("no report with id \(id)") }
            return try json(mentions.annotated(report))
        }
        router.get("/api/predictions/:id/maps") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let entry = await cache.entry(id) else {
                throw ServiceError.notFound("no prediction \"\(id)\" (ids are kept for the most recent predictions with heatmaps only)")
            }
            return try json(ActivationMapsMessage(entry.heatmaps))
        }
        router.get("/api/models") { _, _ in try json(try database.modelCards().map(ModelCardMessage.init)) }
        router.get("/api/models/compare") { request, _ in
            let query = request.uri.queryParameters
            return try json(database.modelComparison(
                first: try ViewerQuery.identifier(query.get("first"), "first model"),
                second: try ViewerQuery.identifier(query.get("second"), "second model"),
                offset: try ViewerQuery.integer(query.get("offset"), "offset") ?? 0))
        }
        router.get("/api/models/:id/roc.svg") { request, context in
            let query = request.uri.queryParameters
            let part = query.get("part").flatMap { $0.isEmpty ? nil : $0 } ?? ThoraxDatabase.officialTest
            let split = query.get("split").flatMap { $0.isEmpty ? nil : $0 } ?? ThoraxDatabase.officialSplit
            return try ModelCurves(database: database).svg(modelID: try ViewerQuery.identifier(context.parameters.get("id"), "model"),
                                                          split: split, part: part)
        }
    }

    /// The image the path's `id` names; 400 for an id that is not a number, 404 for none.
    func detail<Context: RequestContext>(_ context: Context) throws -> ImageDetail {
        let id = try ViewerQuery.identifier(context.parameters.get("id"), "image")
        guard let image = try database.imageDetail(id: id) else { throw ServiceError.notFound("no image with id \(id)") }
        return image
    }

    /// `PUT /api/images/{id}/labels/{class}`: needs `Authorization: Bearer <label token>`
    /// (403 when the service has none, 401 when it is missing or wrong).
    func setLabel<Context: RequestContext>(_ request: Request, _ context: Context) async throws -> Response {
        guard let token = options.labelToken else {
            throw ServiceError(.forbidden, "setting labels needs a label token (thorax serve --label-token-file)")
        }
        guard let header = request.headers[.authorization], Self.tokensMatch(header, "Bearer \(token)") else {
            throw ServiceError(.unauthorized, "setting a label needs Authorization: Bearer <label token>")
        }
        let image = try detail(context)
        let className = context.parameters.get("class")?.removingPercentEncoding ?? ""
        let body = try await request.body.collect(upTo: 4096)
        let value: LabelValueMessage
        do {
            value = try JSONDecoder().decode(LabelValueMessage.self, from: Data(body.readableBytesView))
        } catch {
            throw ServiceError.badRequest("the body is not {\"value\": 1 | 0 | -1 | null}")
        }
        do {
            try database.setHumanLabel(imageID: image.id, className: className, value: value.value)
        } catch let error as StoreError {
            throw ServiceError.badRequest(error.description)
        }
        logger.info("human label set", metadata: ["image": "\(image.id)", "class": "\(className)"])
        return try json(ImageDetailMessage(try detail(context)))
    }

    /// Whether `presented` equals `expected`, in time that depends only on their lengths (every
    /// byte of `expected` is compared), so the answer's timing does not reveal the token.
    static func tokensMatch(_ presented: String, _ expected: String) -> Bool {
        let presented = Array(presented.utf8), expected = Array(expected.utf8)
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        for index in expected.indices {
            difference |= (index < presented.count ? presented[index] : 0) ^ expected[index]
        }
        return difference == 0
    }

    /// A JSON response of `value`; a Store error becomes 400 (a bad filter) or 404 (not found).
    func json<Value: Encodable>(_ value: @autoclosure () throws -> Value) throws -> Response {
        let encoded: Data
        do {
            encoded = try JSONEncoder().encode(try value())
        } catch let error as StoreError {
            if case .notFound(let what) = error { throw ServiceError.notFound(what) }
            throw ServiceError.badRequest(error.description)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: encoded)))
    }
}
