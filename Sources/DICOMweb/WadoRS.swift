import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import Multipart
import Service
import Store

extension DICOMwebRoutes {
    /// WADO-RS instances (PS3.18 10.4): `multipart/related; type="application/dicom"`, one
    /// part per instance, each the file as stored. The service does not transcode: an Accept
    /// header naming a transfer syntax other than the stored one (or `*`) gets 406, and without
    /// one the instance comes in its stored syntax, which each part's Content-Type names.
    func retrieve(_ request: Request, _ instances: [StoredDICOMInstance]) throws -> Response {
        let accept = try AcceptHeader(request.headers[.accept])
        for instance in instances {
            guard Self.acceptsDICOM(accept, transferSyntax: instance.transferSyntax) else {
                throw ServiceError(.notAcceptable, "instance \(instance.sopInstanceUID) is sent as stored, "
                    + "multipart/related; type=\"application/dicom\" in transfer syntax \(instance.transferSyntax) "
                    + "(or transfer-syntax=*), which the Accept header does not take")
            }
        }
        let writer = MultipartWriter()
        var body: [UInt8] = []
        for (index, instance) in instances.enumerated() {
            let part = MultipartPart(contentType: "application/dicom; transfer-syntax=\(instance.transferSyntax)",
                                     body: try read(instance))
            body += try writer.opening(of: part, isFirst: index == 0)
            body += part.body
        }
        body += writer.closing(isEmpty: instances.isEmpty)
        return Self.response(contentType: writer.contentType(type: "application/dicom"), body: body)
    }

    /// WADO-RS metadata: each instance's data set in the DICOM JSON model, as an array; its
    /// Pixel Data as a BulkDataURI (`…/bulkdata/7FE00010`) that `bulkData` serves uncompressed.
    func metadata(_ request: Request, _ instances: [StoredDICOMInstance]) throws -> Response {
        try Self.requireJSON(AcceptHeader(request.headers[.accept]))
        let base = baseURL(request)
        let dataSets = try instances.map { instance in
            let elements: DICOMDataElements
            do {
                elements = try DICOMFile.dataElements(Data(try read(instance)), name: instance.sopInstanceUID, implicitVR: { group, element in
                    DataDictionary.byTag[UInt32(group) << 16 | UInt32(element)]?.vr
                }, inlineLimit: options.inlineBinaryLimit)
            } catch let error as ImagingError {
                throw ServiceError.badRequest("instance \(instance.sopInstanceUID) cannot be read: \(error.reason)")
            }
            var dataSet = DICOMJSONDataSet(elements)
            if elements.elements.contains(where: { $0.group == 0x7FE0 && $0.element == 0x0010 }) {
                dataSet[0x7FE0_0010] = DICOMJSONAttribute(vr: Self.pixelDataVR(elements),
                                                          bulkDataURI: pixelDataURI(instance, base: base))
            }
            return dataSet
        }
        return Self.response(contentType: DICOMJSON.mediaType, body: try DICOMJSON.encode(dataSets))
    }

    /// WADO-RS rendered: the first frame after the modality and VOI LUTs (as `thorax image
    /// decode`), 8-bit gray, as PNG or JPEG by the Accept header (JPEG when it takes any image,
    /// the standard's default); 406 for any other type, 400 for an instance without pixels.
    func rendered(_ request: Request, _ instances: [StoredDICOMInstance]) throws -> Response {
        let accept = try AcceptHeader(request.headers[.accept])
        guard let format = Self.renderedFormat(accept) else {
            throw ServiceError(.notAcceptable, "rendered images are sent as image/jpeg or image/png, which the Accept header does not take")
        }
        guard let instance = instances.first else { throw ServiceError.notFound("no instance") }
        return try render(request, try parse(instance), frame: 1, instance: instance)
    }

    /// Frame `frame` of `file` rendered as PNG or JPEG by the Accept header; 406 for any other
    /// type, 400 for a frame that cannot be decoded.
    func render(_ request: Request, _ file: DICOMFile, frame: Int, instance: StoredDICOMInstance) throws -> Response {
        let accept = try AcceptHeader(request.headers[.accept])
        guard let format = Self.renderedFormat(accept) else {
            throw ServiceError(.notAcceptable, "rendered images are sent as image/jpeg or image/png, which the Accept header does not take")
        }
        let image: GrayscaleImage
        do {
            image = try file.image(frame: frame)
        } catch let error as ImagingError {
            throw ServiceError.badRequest("instance \(instance.sopInstanceUID) cannot be rendered: \(error.reason)")
        }
        switch format {
        case .png: return Self.response(contentType: "image/png", body: Array(try PNGCodec.encode(image)))
        case .jpeg:
            return Self.response(contentType: "image/jpeg", body: Array(try JPEGCodec.encode(image, quality: options.jpegQuality)))
        }
    }

    enum RenderedFormat { case png, jpeg }

    /// Pixel Data's VR as its bulk data is sent (uncompressed, PS3.5 8.2): OW beyond 8 bits
    /// allocated, else OB.
    static func pixelDataVR(_ elements: DICOMDataElements) -> String {
        let bitsAllocated = elements.elements.first { $0.group == 0x0028 && $0.element == 0x0100 }
        if case .bytes(let bytes)? = bitsAllocated?.value, bytes.count >= 2 {
            let value = elements.littleEndian ? Int(bytes[0]) | Int(bytes[1]) << 8 : Int(bytes[0]) << 8 | Int(bytes[1])
            return value > 8 ? "OW" : "OB"
        }
        return "OW"
    }

    /// The first format the Accept header takes, in its order of preference.
    static func renderedFormat(_ accept: AcceptHeader) -> RenderedFormat? {
        if accept.acceptsAnything { return .jpeg }
        for range in accept.ranges {
            if range.covers("image", "jpeg") && range.mediaType.subtype != "*" { return .jpeg }
            if range.covers("image", "png") && range.mediaType.subtype != "*" { return .png }
            if range.covers("image", "jpeg") { return .jpeg }
        }
        return nil
    }

    /// Whether the Accept header takes a DICOM instance in `transferSyntax`.
    static func acceptsDICOM(_ accept: AcceptHeader, transferSyntax: String) -> Bool {
        if accept.acceptsAnything { return true }
        return accept.ranges.contains { range in
            let type = range.mediaType
            if type.type == "*" || (type.essence == "multipart/*") { return true }
            let root: String?
            switch type.essence {
            case "multipart/related": root = type.parameters["type"]?.lowercased()
            case "application/dicom": root = "application/dicom"   // a single part, as some clients ask
            default: return false
            }
            guard root == nil || root == "application/dicom" else { return false }
            let syntax = type.parameters["transfer-syntax"]
            return syntax == nil || syntax == "*" || syntax == transferSyntax
        }
    }

    /// The stored file's bytes; 500 (logged) when the file is gone.
    func read(_ instance: StoredDICOMInstance) throws -> [UInt8] {
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: instance.path)))
        } catch {
            logger.error("stored file unreadable", metadata: ["sop": "\(instance.sopInstanceUID)"])
            throw ServiceError(.internalServerError, "the file of instance \(instance.sopInstanceUID) cannot be read")
        }
    }

    func parse(_ instance: StoredDICOMInstance) throws -> DICOMFile {
        let bytes = try read(instance)
        do {
            return try DICOMFile(Data(bytes), name: instance.sopInstanceUID)
        } catch let error as ImagingError {
            throw ServiceError.badRequest("instance \(instance.sopInstanceUID) cannot be read: \(error.reason)")
        }
    }
}
