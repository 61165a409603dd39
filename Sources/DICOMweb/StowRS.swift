import HTTPTypes
import Hummingbird
import Multipart
import Service

extension DICOMwebRoutes {
    /// STOW-RS (PS3.18 10.5): a `multipart/related; type="application/dicom"` body, each part
    /// one instance. The whole body is read and its multipart structure checked before anything
    /// is stored, so a malformed body (400), an unsupported media type (415) or a body over the
    /// limit (413) stores nothing. Then each instance is stored, predicted and given its results
    /// on its own (`storeInstance`): the response lists the stored ones (ReferencedSOPSequence)
    /// and the failed ones with their reasons (FailedSOPSequence), with 200 when all were
    /// stored, 202 when some failed, 409 when none was stored.
    func store(_ request: Request, study: String?) async throws -> Response {
        let contentType = request.headers[.contentType] ?? ""
        try Self.checkStoreMediaType(contentType)
        var parser: MultipartParser
        do {
            // Boundaries longer than RFC 2046's 70 characters are taken: Orthanc's client sends 73.
            parser = try MultipartParser(contentType: contentType,
                                         limits: .init(maximumPartBytes: options.maximumBodyBytes, maximumBoundaryCharacters: 200))
        } catch let error as MultipartError {
            throw ServiceError.badRequest("\(error)")
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > options.maximumBodyBytes {
            throw ServiceError(.contentTooLarge, "the request body of \(declared) bytes exceeds the limit of \(options.maximumBodyBytes) bytes")
        }
        var parts: [MultipartPart] = []
        var received = 0
        do {
            for try await buffer in request.body {
                received += buffer.readableBytes
                guard received <= options.maximumBodyBytes else {
                    throw ServiceError(.contentTooLarge, "the request body exceeds the limit of \(options.maximumBodyBytes) bytes")
                }
                parts += try parser.append(buffer.readableBytesView)
            }
            parts += try parser.finish()
        } catch let error as MultipartError {
            throw ServiceError.badRequest("\(error)")
        }
        guard !parts.isEmpty else { throw ServiceError.badRequest("the multipart body holds no instances") }
        for (index, part) in parts.enumerated() {
            if let type = part.contentType { try Self.checkPartMediaType(type, part: index + 1) }
        }
        var outcomes: [InstanceOutcome] = []
        for (index, part) in parts.enumerated() {
            outcomes.append(await storeInstance(part.body, part: index + 1, study: study))
        }
        return try storeResponse(outcomes, base: baseURL(request))
    }

    /// 415 unless the body is `multipart/related` whose root type, when given, is application/dicom.
    static func checkStoreMediaType(_ contentType: String) throws(ServiceError) {
        let unsupported = ServiceError(.unsupportedMediaType, "STOW-RS takes multipart/related; type=\"application/dicom\" "
            + "(one DICOM Part 10 instance per part), not \(contentType.isEmpty ? "a body without Content-Type" : contentType)")
        guard let mediaType = try? MediaType(parsing: contentType), mediaType.essence == "multipart/related" else {
            throw unsupported
        }
        if let type = mediaType.parameters["type"], type.lowercased() != "application/dicom" { throw unsupported }
    }

    /// 415 unless a part's own Content-Type is application/dicom (a transfer-syntax parameter is allowed).
    static func checkPartMediaType(_ contentType: String, part: Int) throws(ServiceError) {
        guard let mediaType = try? MediaType(parsing: contentType), mediaType.essence == "application/dicom" else {
            throw ServiceError(.unsupportedMediaType, "multipart part \(part) is \(contentType); STOW-RS here takes application/dicom parts")
        }
    }

    /// The Store Instances Response (PS3.18 10.5.3, Annex I) as DICOM JSON, and its status.
    func storeResponse(_ outcomes: [InstanceOutcome], base: String) throws -> Response {
        let stored = outcomes.filter { $0.failure == nil }
        let failed = outcomes.filter { $0.failure != nil }
        var dataSet = DICOMJSONDataSet()
        if !stored.isEmpty {
            dataSet.set(Tags.referencedSOPSequence, items: stored.map { outcome in
                var item = DICOMJSONDataSet()
                item.set(Tags.referencedSOPClassUID, "UI", outcome.sopClassUID)
                item.set(Tags.referencedSOPInstanceUID, "UI", outcome.sopInstanceUID)
                item.set(Tags.retrieveURL, "UR", "\(base)/studies/\(outcome.studyUID ?? "")/series/\(outcome.seriesUID ?? "")"
                    + "/instances/\(outcome.sopInstanceUID ?? "")")
                return item
            })
            let studies = Set(stored.compactMap(\.studyUID))
            if studies.count == 1, let study = studies.first {
                dataSet.set(Tags.retrieveURL, "UR", "\(base)/studies/\(study)")
            }
        }
        if !failed.isEmpty {
            dataSet.set(Tags.failedSOPSequence, items: failed.map { outcome in
                var item = DICOMJSONDataSet()
                item.set(Tags.referencedSOPClassUID, "UI", outcome.sopClassUID)
                item.set(Tags.referencedSOPInstanceUID, "UI", outcome.sopInstanceUID)
                item.set(Tags.failureReason, "US", integer: outcome.failure.map { Int($0.reason.rawValue) })
                return item
            })
        }
        let status: HTTPResponse.Status = failed.isEmpty ? .ok : stored.isEmpty ? .conflict : .accepted
        return Self.response(status, contentType: DICOMJSON.mediaType, body: try DICOMJSON.encode(dataSet))
    }
}

/// Tags the service writes by name.
enum Tags {
    static let specificCharacterSet: UInt32 = 0x0008_0005
    static let sopClassUID: UInt32 = 0x0008_0016
    static let sopInstanceUID: UInt32 = 0x0008_0018
    static let studyDate: UInt32 = 0x0008_0020
    static let studyTime: UInt32 = 0x0008_0030
    static let accessionNumber: UInt32 = 0x0008_0050
    static let instanceAvailability: UInt32 = 0x0008_0056
    static let modality: UInt32 = 0x0008_0060
    static let modalitiesInStudy: UInt32 = 0x0008_0061
    static let referringPhysicianName: UInt32 = 0x0008_0090
    static let studyDescription: UInt32 = 0x0008_1030
    static let seriesDescription: UInt32 = 0x0008_103E
    static let referencedSOPClassUID: UInt32 = 0x0008_1150
    static let referencedSOPInstanceUID: UInt32 = 0x0008_1155
    static let retrieveURL: UInt32 = 0x0008_1190
    static let failureReason: UInt32 = 0x0008_1197
    static let failedSOPSequence: UInt32 = 0x0008_1198
    static let referencedSOPSequence: UInt32 = 0x0008_1199
    static let patientName: UInt32 = 0x0010_0010
    static let patientID: UInt32 = 0x0010_0020
    static let patientBirthDate: UInt32 = 0x0010_0030
    static let patientSex: UInt32 = 0x0010_0040
    static let studyInstanceUID: UInt32 = 0x0020_000D
    static let seriesInstanceUID: UInt32 = 0x0020_000E
    static let studyID: UInt32 = 0x0020_0010
    static let seriesNumber: UInt32 = 0x0020_0011
    static let instanceNumber: UInt32 = 0x0020_0013
    static let numberOfStudyRelatedSeries: UInt32 = 0x0020_1206
    static let numberOfStudyRelatedInstances: UInt32 = 0x0020_1208
    static let numberOfSeriesRelatedInstances: UInt32 = 0x0020_1209
    static let numberOfFrames: UInt32 = 0x0028_0008
    static let rows: UInt32 = 0x0028_0010
    static let columns: UInt32 = 0x0028_0011
    static let bitsAllocated: UInt32 = 0x0028_0100
}
