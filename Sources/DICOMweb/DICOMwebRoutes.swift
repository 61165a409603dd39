import DICOMResults
import DICOMwebClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Reports
import Service
import Store

/// DICOMweb (PS3.18) over the database and the data directory: STOW-RS stores instances and
/// makes their results, QIDO-RS searches studies, series and instances, WADO-RS retrieves
/// instances, their metadata and rendered images. Errors are `ServiceError`s, which the
/// service's error middleware answers with `{"error": "…"}`; logs name instances by SOP
/// Instance UID, never a patient.
public struct DICOMwebRoutes: Sendable {
    let database: ThoraxDatabase
    let predictor: any InstancePredictor
    let options: DICOMwebOptions
    let files: InstanceFiles
    let logger: Logger
    /// Where each stored instance's results are sent on (a PACS's STOW-RS), when anywhere.
    let forwarder: ResultForwarder?
    /// Labels the SR reports stored over STOW-RS.
    let labeler: ReportLabeler

    /// The path every route starts with.
    public static let prefix = "/dicom-web"

    /// Registers the DICOMweb routes under `/dicom-web` on `router` (after its middleware, so
    /// the request log, error bodies and bearer token apply):
    ///
    /// - STOW-RS `POST /studies`, `POST /studies/{study}`
    /// - QIDO-RS `GET /studies`, `/studies/{study}/series`, `/studies/{study}/instances`,
    ///   `/studies/{study}/series/{series}/instances`
    /// - WADO-RS `GET /studies/{study}[/series/{series}[/instances/{instance}]]` and each one's
    ///   `/metadata`; `GET …/instances/{instance}/rendered`, `…/frames/{list}`,
    ///   `…/frames/{n}/rendered` and `…/bulkdata/7FE00010` (the metadata's BulkDataURI)
    ///
    /// - Parameters:
    ///   - database: where instances are filed (patients, studies, series, instances, images).
    ///   - predictor: the model stored images are predicted with.
    ///   - options: the data directory and the service's settings.
    ///   - forwarder: sends each newly stored instance's results (SR, Secondary Captures) on
    ///     over STOW-RS after they are filed; nil keeps them here only.
    ///   - labeler: labels the SR reports stored (nil: the bundled vocabulary and rules).
    /// - Throws: the file system's error when the data directory cannot be created; the
    ///   labeller's when its bundled resources cannot be read.
    public static func register<Context: RequestContext>(on router: Router<Context>, database: ThoraxDatabase,
                                                         predictor: any InstancePredictor, options: DICOMwebOptions,
                                                         logger: Logger, forwarder: ResultForwarder? = nil,
                                                         labeler: ReportLabeler? = nil) throws {
        let routes = DICOMwebRoutes(database: database, predictor: predictor, options: options,
                                    files: try InstanceFiles(dataDirectory: options.dataDirectory), logger: logger,
                                    forwarder: forwarder, labeler: try labeler ?? ReportLabeler())
        routes.add(to: router)
    }

    func add<Context: RequestContext>(to router: Router<Context>) {
        let studies = Self.prefix + "/studies"
        let study = studies + "/:study"
        let series = study + "/series/:series"
        let instance = series + "/instances/:instance"
        router.post(RouterPath(studies)) { request, _ in try await store(request, study: nil) }
        router.post(RouterPath(study)) { request, context in try await store(request, study: try uid(context, "study")) }

        router.get(RouterPath(studies)) { request, _ in try searchStudies(request) }
        router.get(RouterPath(study + "/series")) { request, context in
            try searchSeries(request, study: try uid(context, "study"))
        }
        router.get(RouterPath(study + "/instances")) { request, context in
            try searchInstances(request, study: try uid(context, "study"), series: nil)
        }
        router.get(RouterPath(series + "/instances")) { request, context in
            try searchInstances(request, study: try uid(context, "study"), series: try uid(context, "series"))
        }

        router.get(RouterPath(study)) { request, context in
            try retrieve(request, try instances(try uid(context, "study"), nil, nil))
        }
        router.get(RouterPath(series)) { request, context in
            try retrieve(request, try instances(try uid(context, "study"), try uid(context, "series"), nil))
        }
        router.get(RouterPath(instance)) { request, context in
            try retrieve(request, try instances(try uid(context, "study"), try uid(context, "series"), try uid(context, "instance")))
        }
        router.get(RouterPath(study + "/metadata")) { request, context in
            try metadata(request, try instances(try uid(context, "study"), nil, nil))
        }
        router.get(RouterPath(series + "/metadata")) { request, context in
            try metadata(request, try instances(try uid(context, "study"), try uid(context, "series"), nil))
        }
        router.get(RouterPath(instance + "/metadata")) { request, context in
            try metadata(request, try instances(try uid(context, "study"), try uid(context, "series"), try uid(context, "instance")))
        }
        router.get(RouterPath(instance + "/rendered")) { request, context in
            try rendered(request, try instances(try uid(context, "study"), try uid(context, "series"), try uid(context, "instance")))
        }
        router.get(RouterPath(instance + "/frames/:frames")) { request, context in
            try await frames(request, try storedInstance(context), frameList: context.parameters.get("frames") ?? "")
        }
        router.get(RouterPath(instance + "/frames/:frames/rendered")) { request, context in
            try await renderedFrame(request, try storedInstance(context), frameList: context.parameters.get("frames") ?? "")
        }
        router.get(RouterPath(instance + "/bulkdata/:tag")) { request, context in
            try await bulkData(request, try storedInstance(context), tag: context.parameters.get("tag") ?? "")
        }
    }

    /// The stored instance the path's study, series and instance name; 400 or 404 as `instances`.
    func storedInstance<Context: RequestContext>(_ context: Context) throws -> StoredDICOMInstance {
        let found = try instances(try uid(context, "study"), try uid(context, "series"), try uid(context, "instance"))
        guard let instance = found.first else { throw ServiceError.notFound("no instance") }
        return instance
    }

    /// The path parameter `name`, which must be a UID (PS3.5 9.1); 400 otherwise.
    func uid<Context: RequestContext>(_ context: Context, _ name: String) throws(ServiceError) -> String {
        let value = context.parameters.get(name) ?? ""
        if let problem = DICOMUID.problem(with: value) {
            let shown = value.count > 80 ? String(value.prefix(80)) + "…" : value
            throw .badRequest("the \(name) in the path, \(shown.debugDescription), is not a DICOM UID: \(problem)")
        }
        return value
    }

    /// The stored instances a WADO-RS path names: a study's, a series', or one; 404 when the
    /// study, series or instance is not stored (or not where the path puts it).
    func instances(_ study: String, _ series: String?, _ instance: String?) throws -> [StoredDICOMInstance] {
        if let instance {
            guard let stored = try database.storedDICOMInstance(uid: instance), stored.studyUID == study,
                  stored.seriesUID == series else {
                throw ServiceError.notFound("no instance \(instance) in series \(series ?? "") of study \(study)")
            }
            return [stored]
        }
        let stored = try database.storedDICOMInstances(study: study, series: series)
        guard !stored.isEmpty else {
            throw ServiceError.notFound(series.map { "no series \($0) in study \(study)" } ?? "no study \(study)")
        }
        return stored
    }

    /// The base of Retrieve URLs: the configured one, or this server as the request reached it
    /// (its Host, with the listening port when the Host names none).
    func baseURL(_ request: Request) -> String {
        if let base = options.baseURL { return base.hasSuffix("/") ? String(base.dropLast()) : base }
        var authority = request.head.authority ?? "localhost"
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        if !hasPort, let port = options.listeningPort?.port, port != 80 { authority += ":\(port)" }
        return "http://\(authority)\(Self.prefix)"
    }

    /// A response with `body` of `contentType`.
    static func response(_ status: HTTPResponse.Status = .ok, contentType: String, body: [UInt8],
                         headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
