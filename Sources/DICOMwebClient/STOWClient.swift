import AsyncHTTPClient
import Foundation
import Multipart
import NIOCore

/// A STOW-RS client (PS3.18 10.5): posts DICOM Part 10 instances, one multipart/related body of
/// application/dicom parts, to `<base>/studies`, as a PACS's DICOMweb server (Orthanc's plugin,
/// dcm4chee) takes them. HTTP is AsyncHTTPClient's shared client.
public struct STOWClient: Sendable {
    /// The STOW-RS resource, `<base>/studies`.
    public let studiesURL: String
    /// How long one request may take.
    public var timeout: TimeAmount
    /// Extra request headers, e.g. Authorization.
    public var headers: [(name: String, value: String)]

    /// A client of the DICOMweb service at `baseURL` (e.g. "http://pacs:8042/dicom-web").
    /// - Throws: `DICOMwebClientError` when `baseURL` is not an http or https URL with a host.
    public init(baseURL: String, timeout: TimeAmount = .seconds(60), headers: [(name: String, value: String)] = []) throws {
        studiesURL = try Self.checkedBase(baseURL) + "/studies"
        self.timeout = timeout
        self.headers = headers
    }

    /// `baseURL` without a trailing slash, checked to be http(s) with a host.
    static func checkedBase(_ baseURL: String) throws -> String {
        guard let components = URLComponents(string: baseURL), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
              !(components.host ?? "").isEmpty, components.query == nil else {
            throw DICOMwebClientError("\(baseURL) is not the http(s) URL of a DICOMweb service (e.g. http://pacs:8042/dicom-web)",
                                      isTransient: false)
        }
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// Stores `instances` (each a whole Part 10 file) in one request.
    /// - Returns: the server's answer: stored (200) or partly stored (202), with the SOP
    ///   Instance UIDs it listed as failed.
    /// - Throws: `DICOMwebClientError` for no answer (transient) or any other status (409: none
    ///   stored; transient for 408, 429, 5xx).
    public func store(_ instances: [[UInt8]]) async throws -> StoreOutcome {
        let writer = MultipartWriter()
        let body = try writer.encode(instances.map { MultipartPart(contentType: "application/dicom", body: $0) })
        var request = HTTPClientRequest(url: studiesURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: writer.contentType(type: "application/dicom"))
        request.headers.add(name: "Accept", value: "application/dicom+json")
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        let answer: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
            answer = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw DICOMwebClientError("POST \(studiesURL): no answer (\(error))", isTransient: true)
        }
        let status = Int(response.status.code)
        guard status == 200 || status == 202 else {
            throw DICOMwebClientError.status(status, method: "POST", url: studiesURL)
        }
        return StoreOutcome(status: status, failedSOPInstanceUIDs: StoreOutcome.failedInstances(in: Array(answer.readableBytesView)))
    }
}

/// What a STOW-RS server answered to a store that was accepted in whole or in part.
public struct StoreOutcome: Sendable, Equatable {
    /// 200 (all stored) or 202 (some failed).
    public var status: Int
    /// The Referenced SOP Instance UIDs of the response's Failed SOP Sequence (0008,1198).
    public var failedSOPInstanceUIDs: [String]

    public init(status: Int, failedSOPInstanceUIDs: [String]) {
        self.status = status
        self.failedSOPInstanceUIDs = failedSOPInstanceUIDs
    }

    /// The failed instances a Store Instances Response in DICOM JSON (PS3.18 F.2) lists; none
    /// when the body is empty or not JSON (some servers answer XML or nothing).
    static func failedInstances(in body: [UInt8]) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let failed = object["00081198"] as? [String: Any], let items = failed["Value"] as? [[String: Any]] else { return [] }
        return items.compactMap { item in
            ((item["00081155"] as? [String: Any])?["Value"] as? [Any])?.first as? String
        }
    }
}
