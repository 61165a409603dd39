import AsyncHTTPClient
import Foundation
import Multipart
import NIOCore

/// A QIDO-RS and WADO-RS client (PS3.18 10.6, 10.4): searches a DICOMweb server's studies and
/// their instances and retrieves instances as stored (Part 10, `transfer-syntax=*`). HTTP is
/// AsyncHTTPClient's shared client. Errors name the request's URL and status, never a query
/// value (a patient's identifier may be one).
public struct DICOMwebReader: Sendable {
    /// The service root, e.g. "http://pacs:8042/dicom-web" (no trailing slash).
    public let baseURL: String
    /// How long one request may take.
    public var timeout: TimeAmount
    /// Most matches asked for per search request; further pages follow with `offset`.
    public var pageSize: Int
    /// The largest instance retrieved.
    public var maximumInstanceBytes: Int

    /// - Throws: `DICOMwebClientError` when `baseURL` is not an http or https URL with a host.
    public init(baseURL: String, timeout: TimeAmount = .seconds(120), pageSize: Int = 500, maximumInstanceBytes: Int = 1 << 30) throws {
        self.baseURL = try STOWClient.checkedBase(baseURL)
        self.timeout = timeout
        self.pageSize = max(1, pageSize)
        self.maximumInstanceBytes = maximumInstanceBytes
    }

    /// A study a search found.
    public struct Study: Sendable, Equatable {
        public var studyInstanceUID: String
    }

    /// An instance of a study: where WADO-RS finds it.
    public struct Instance: Sendable, Equatable {
        public var studyInstanceUID: String
        public var seriesInstanceUID: String
        public var sopInstanceUID: String
        public var sopClassUID: String?
    }

    /// The studies matching `query` (QIDO-RS attribute=value pairs, e.g. PatientID, StudyDate
    /// "20240101-"), every page of them.
    /// - Throws: `DICOMwebClientError` for no answer, a status other than 200 or 204, or a body
    ///   that is not a DICOM JSON array.
    public func searchStudies(_ query: [(String, String)]) async throws -> [Study] {
        try await searchAll("/studies", query: query + [("includefield", "0020000D")]).compactMap { object in
            Self.string(object, "0020000D").map { Study(studyInstanceUID: $0) }
        }
    }

    /// Every instance of the study `studyInstanceUID`.
    public func searchInstances(study studyInstanceUID: String) async throws -> [Instance] {
        let fields = [("includefield", "0020000E"), ("includefield", "00080018"), ("includefield", "00080016")]
        return try await searchAll("/studies/\(studyInstanceUID)/instances", query: fields).compactMap { object in
            guard let series = Self.string(object, "0020000E"), let sop = Self.string(object, "00080018") else { return nil }
            return Instance(studyInstanceUID: studyInstanceUID, seriesInstanceUID: series, sopInstanceUID: sop,
                            sopClassUID: Self.string(object, "00080016"))
        }
    }

    /// The instance's Part 10 bytes as the server stores them (WADO-RS, the first part of its
    /// multipart/related answer).
    /// - Throws: `DICOMwebClientError` for no answer, a status other than 200, a body that is
    ///   not multipart/related or holds no part.
    public func retrieve(_ instance: Instance) async throws -> [UInt8] {
        let url = baseURL + "/studies/\(instance.studyInstanceUID)/series/\(instance.seriesInstanceUID)/instances/\(instance.sopInstanceUID)"
        let (status, contentType, body) = try await get(url, accept: #"multipart/related; type="application/dicom"; transfer-syntax=*"#,
                                                        limit: maximumInstanceBytes + (1 << 20))
        guard status == 200 else { throw DICOMwebClientError.status(status, method: "GET", url: url) }
        do {
            // Boundaries longer than RFC 2046's 70 characters are taken: Orthanc writes 73.
            var parser = try MultipartParser(contentType: contentType,
                                             limits: .init(maximumPartBytes: maximumInstanceBytes, maximumBoundaryCharacters: 200))
            let parts = try parser.append(body) + parser.finish()
            guard let first = parts.first else { throw DICOMwebClientError("GET \(url): the answer holds no instance", isTransient: false) }
            return first.body
        } catch let error as MultipartError {
            throw DICOMwebClientError("GET \(url): the answer is not a multipart/related body (\(error))", isTransient: false)
        }
    }

    /// Every page of a search: `limit`/`offset` until a page comes back short.
    func searchAll(_ path: String, query: [(String, String)]) async throws -> [[String: Any]] {
        var results: [[String: Any]] = []
        while true {
            let page = try await search(path, query: query + [("limit", "\(pageSize)"), ("offset", "\(results.count)")])
            results += page
            if page.count < pageSize { return results }
        }
    }

    func search(_ path: String, query: [(String, String)]) async throws -> [[String: Any]] {
        var components = URLComponents(string: baseURL + path)!
        components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
        let url = components.url?.absoluteString ?? baseURL + path
        // The query is not repeated in errors: it may hold a patient's identifier.
        let named = baseURL + path
        let (status, _, body) = try await get(url, accept: "application/dicom+json", limit: 256 << 20, name: named)
        if status == 204 { return [] }
        guard status == 200 else { throw DICOMwebClientError.status(status, method: "GET", url: named) }
        if body.isEmpty { return [] }
        guard let array = try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else {
            throw DICOMwebClientError("GET \(named): the answer is not a DICOM JSON array", isTransient: false)
        }
        return array
    }

    func get(_ url: String, accept: String, limit: Int, name: String? = nil) async throws -> (Int, String, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: accept)
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: limit)
            return (Int(response.status.code), response.headers.first(name: "Content-Type") ?? "", Array(body.readableBytesView))
        } catch {
            throw DICOMwebClientError("GET \(name ?? url): no answer (\(error))", isTransient: true)
        }
    }

    /// The first value of `tag` in a DICOM JSON object, as text.
    static func string(_ object: [String: Any], _ tag: String) -> String? {
        ((object[tag] as? [String: Any])?["Value"] as? [Any])?.first as? String
    }
}
