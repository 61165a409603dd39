import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// Logs name instances by SOP Instance UID and never carry a patient's name or identifier,
/// whether an instance is stored, refused, searched for by patient, or retrieved.
final class LoggingTests: XCTestCase {
    func testLogsCarryNoPatientData() async throws {
        try await withDICOMweb { fixture, client in
            let instance = TestInstance()
            var duplicate = instance
            duplicate.accessionNumber = "ACC-79"
            // A UID attribute holding a name: refused, and neither logged nor echoed.
            var named = TestInstance()
            named.sopInstanceUID = "2.25.4199"
            let misnamed = replacing(Array("2.25.4199".utf8), with: Array("Doe^Jane1".utf8), in: named.bytes)
            let (body, headers) = try StowBody.make([instance.bytes, duplicate.bytes, Array(instance.bytes.prefix(300)), misnamed])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) {
                XCTAssertEqual($0.status, .accepted)
            }
            let series = "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)"
            for uri in ["/dicom-web/studies?PatientID=P-SECRET-7731&PatientName=Doe*", series + "/instances/\(instance.sopInstanceUID)",
                        series + "/instances/\(instance.sopInstanceUID)/metadata", "/dicom-web/studies/2.25.77/series"] {
                try await client.execute(uri: uri, method: .get) { _ in }
            }
            let lines = fixture.logs.all
            XCTAssertTrue(lines.contains { $0.contains("instance stored") && $0.contains("sop=\(instance.sopInstanceUID)") }, "\(lines)")
            XCTAssertTrue(lines.contains { $0.contains("instance not stored") && $0.contains("reason=111") }, "\(lines)")
            XCTAssertTrue(lines.contains { $0.contains("instance not stored") && $0.contains("reason=C000") }, "\(lines)")
            XCTAssertTrue(lines.contains { $0.contains("GET /dicom-web/studies") }, "one line per request: \(lines)")
            XCTAssertTrue(lines.contains { $0.contains("instance not stored") && $0.contains("reason=A900") }, "\(lines)")
            for secret in ["P-SECRET-7731", "Doe", "Jane", "19610203", "Welby"] {
                XCTAssertFalse(lines.contains { $0.contains(secret) }, "\(secret) in the log: \(lines.filter { $0.contains(secret) })")
            }
        }
    }
}

/// `bytes` with every occurrence of `pattern` replaced by `replacement` (of the same length).
func replacing(_ pattern: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
    precondition(pattern.count == replacement.count)
    var result = bytes
    var index = 0
    while index + pattern.count <= result.count {
        if Array(result[index..<(index + pattern.count)]) == pattern {
            result.replaceSubrange(index..<(index + pattern.count), with: replacement)
            index += pattern.count
        } else {
            index += 1
        }
    }
    return result
}
