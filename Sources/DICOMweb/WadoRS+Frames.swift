import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import Multipart
import Service
import Store

extension DICOMwebRoutes {
    /// The one transfer syntax frames and bulk data are sent in: uncompressed, Explicit VR
    /// Little Endian (PS3.18 8.7.3.3.2, the default of `application/octet-stream`).
    static let nativeTransferSyntax = DICOMTransferSyntax.explicitLittleEndian

    /// The Pixel Data tag as a bulk-data path component.
    static let pixelDataBulkTag = "7FE00010"

    /// WADO-RS frames (PS3.18 10.4.1.1.4): the frames of `frameList` ("1,3,4", 1-based, in the
    /// order asked), each one part of `multipart/related; type="application/octet-stream"` with
    /// its uncompressed pixel data (`DICOMFile.nativeFrame`); a compressed instance is decoded
    /// here. An Accept of a single `application/octet-stream` gets one frame's bytes alone.
    /// 400 for a malformed list, 404 for a frame the instance does not hold, 406 for an Accept
    /// that takes no uncompressed octet-stream (a compressed transfer syntax, image/jpeg) or a
    /// frame that cannot be given uncompressed.
    func frames(_ request: Request, _ instance: StoredDICOMInstance, frameList: String) async throws -> Response {
        let numbers = try Self.frameNumbers(frameList)
        let form = try Self.octetStreamForm(AcceptHeader(request.headers[.accept]), what: "frames",
                                            single: numbers.count == 1)
        let file = try parseImage(instance)
        for number in numbers where number > file.frameCount {
            throw ServiceError.notFound("instance \(instance.sopInstanceUID) has \(file.frameCount) frame"
                + "\(file.frameCount == 1 ? "" : "s"), no frame \(number)")
        }
        let frames = try await Self.offCooperativeThreads { try numbers.map { try Self.nativeFrame(file, $0, instance) } }
        return try Self.octetStreamResponse(frames, form: form)
    }

    /// A bulk-data resource that the metadata's BulkDataURI names (PS3.18 10.4.1.1.5): for
    /// Pixel Data (7FE00010), every frame uncompressed and in order, as one octet-stream part.
    /// 404 for any other tag or an instance without pixel data; 406 as for frames.
    func bulkData(_ request: Request, _ instance: StoredDICOMInstance, tag: String) async throws -> Response {
        guard tag.uppercased() == Self.pixelDataBulkTag else {
            throw ServiceError.notFound("instance \(instance.sopInstanceUID) has no bulk data \(tag.prefix(16).debugDescription) "
                + "(its Pixel Data is \(Self.pixelDataBulkTag))")
        }
        let form = try Self.octetStreamForm(AcceptHeader(request.headers[.accept]), what: "bulk data", single: true)
        let file = try parseImage(instance)
        guard file.frameCount > 0 else { throw ServiceError.notFound("instance \(instance.sopInstanceUID) has no pixel data") }
        let pixels = try await Self.offCooperativeThreads {
            try (1...file.frameCount).reduce(into: [UInt8]()) { $0 += try Self.nativeFrame(file, $1, instance) }
        }
        return try Self.octetStreamResponse([pixels], form: form)
    }

    /// WADO-RS rendered frame (PS3.18 10.4.1.1.3): one frame after the modality and VOI LUTs,
    /// as PNG or JPEG by the Accept header, as `…/rendered` gives the first.
    func renderedFrame(_ request: Request, _ instance: StoredDICOMInstance, frameList: String) async throws -> Response {
        let numbers = try Self.frameNumbers(frameList)
        guard numbers.count == 1, let number = numbers.first else {
            throw ServiceError.badRequest("rendered frames are sent one at a time, not \(numbers.count) in one response")
        }
        let file = try parseImage(instance)
        guard number <= file.frameCount else {
            throw ServiceError.notFound("instance \(instance.sopInstanceUID) has \(file.frameCount) frames, no frame \(number)")
        }
        return try render(request, file, frame: number, instance: instance)
    }

    /// The stored image `instance`; 404 for an object without pixel data (a report), which
    /// has no frames, else what `parse` throws.
    func parseImage(_ instance: StoredDICOMInstance) throws -> DICOMFile {
        do {
            return try parse(instance)
        } catch let error as ServiceError where error.status == .badRequest {
            let elements = try? DICOMFile.dataElements(Data(try read(instance)), name: instance.sopInstanceUID, inlineLimit: 0)
            if let elements, !elements.elements.contains(where: { $0.group == 0x7FE0 && $0.element == 0x0010 }) {
                throw ServiceError.notFound("instance \(instance.sopInstanceUID) has no pixel data, so no frames")
            }
            throw error
        }
    }

    /// Frame `number` of `file`; 406 when it cannot be given uncompressed.
    static func nativeFrame(_ file: DICOMFile, _ number: Int, _ instance: StoredDICOMInstance) throws -> [UInt8] {
        do {
            return try file.nativeFrame(number)
        } catch let error as ImagingError {
            throw ServiceError(.notAcceptable, "frame \(number) of instance \(instance.sopInstanceUID) cannot be sent "
                + "uncompressed (\(nativeTransferSyntax)): \(error.reason); retrieve the instance instead")
        }
    }

    /// The frame numbers of a path's list: comma-separated decimal numbers from 1, at most
    /// 10,000 of them; 400 for anything else.
    static func frameNumbers(_ list: String) throws(ServiceError) -> [Int] {
        let items = list.split(separator: ",", omittingEmptySubsequences: false)
        let shown = list.count > 40 ? String(list.prefix(40)) + "…" : list
        guard !list.isEmpty, items.count <= 10_000 else {
            throw .badRequest("the frame list \(shown.debugDescription) is not 1 to 10000 comma-separated frame numbers")
        }
        var numbers: [Int] = []
        for item in items {
            guard !item.isEmpty, item.count <= 9, item.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(item), number >= 1 else {
                throw .badRequest("the frame list \(shown.debugDescription) is not comma-separated frame numbers (1, 2, …)")
            }
            numbers.append(number)
        }
        return numbers
    }

    /// How frames or bulk data go out: parts of `multipart/related`, or one bare body.
    enum OctetStreamForm { case multipart, single }

    /// The first form the Accept header takes, in its order of preference: multipart/related
    /// whose type is application/octet-stream (or absent, or a wildcard), or a single
    /// application/octet-stream when `single`; either with no transfer-syntax, `*` or Explicit
    /// VR Little Endian. 406 naming what is sent otherwise.
    static func octetStreamForm(_ accept: AcceptHeader, what: String, single: Bool) throws(ServiceError) -> OctetStreamForm {
        if accept.acceptsAnything { return .multipart }
        for range in accept.ranges {
            let type = range.mediaType
            let syntax = type.parameters["transfer-syntax"]
            guard syntax == nil || syntax == "*" || syntax == nativeTransferSyntax else { continue }
            switch type.essence {
            case "*/*", "multipart/*":
                return .multipart
            case "multipart/related":
                let root = type.parameters["type"]?.lowercased()
                if root == nil || root == "*/*" || root == "application/*" || root == "application/octet-stream" { return .multipart }
            case "application/octet-stream", "application/*":
                if single { return .single }
            default:
                continue
            }
        }
        throw ServiceError(.notAcceptable, "\(what) are sent uncompressed, as multipart/related; type=\"application/octet-stream\"; "
            + "transfer-syntax=\(nativeTransferSyntax), which the Accept header does not take (no transcoding to compressed syntaxes)")
    }

    /// `bodies` as octet-stream parts in Explicit VR Little Endian, or the one body alone.
    static func octetStreamResponse(_ bodies: [[UInt8]], form: OctetStreamForm) throws -> Response {
        let partType = "application/octet-stream; transfer-syntax=\(nativeTransferSyntax)"
        if form == .single, let body = bodies.first { return response(contentType: partType, body: body) }
        let writer = MultipartWriter()
        var body: [UInt8] = []
        for (index, frame) in bodies.enumerated() {
            body += try writer.opening(of: MultipartPart(contentType: partType, body: []), isFirst: index == 0)
            body += frame
        }
        body += writer.closing(isEmpty: bodies.isEmpty)
        return response(contentType: writer.contentType(type: "application/octet-stream"), body: body)
    }

    /// The BulkDataURI of an instance's Pixel Data.
    func pixelDataURI(_ instance: StoredDICOMInstance, base: String) -> String {
        "\(base)/studies/\(instance.studyUID)/series/\(instance.seriesUID)/instances/\(instance.sopInstanceUID)/bulkdata/"
            + Self.pixelDataBulkTag
    }
}
