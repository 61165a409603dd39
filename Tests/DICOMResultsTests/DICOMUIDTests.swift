import DICOMResults
import Foundation
import XCTest

final class DICOMUIDTests: XCTestCase {
    /// PS3.5 B.2's own example: UUID f81d4fae-7dec-11d0-a765-00a0c91e6bf6.
    func testTheStandardsExampleUUID() throws {
        let uuid = try XCTUnwrap(UUID(uuidString: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"))
        XCTAssertEqual(DICOMUID.make(from: uuid), "2.25.329800735698586629295641978511506172918")
    }

    func testExtremeUUIDs() throws {
        XCTAssertEqual(DICOMUID.make(from: try XCTUnwrap(UUID(uuidString: "00000000-0000-0000-0000-000000000000"))), "2.25.0")
        XCTAssertEqual(DICOMUID.make(from: try XCTUnwrap(UUID(uuidString: "00000000-0000-0000-0000-00000000000A"))), "2.25.10")
        // 2^128 − 1: the longest, 39 digits, 44 characters with the root.
        XCTAssertEqual(DICOMUID.make(from: try XCTUnwrap(UUID(uuidString: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"))),
                       "2.25.340282366920938463463374607431768211455")
        // 10^9 exactly across a chunk boundary: zeros inside a base-10⁹ chunk are kept.
        XCTAssertEqual(DICOMUID.make(from: try XCTUnwrap(UUID(uuidString: "00000000-0000-0000-0000-00003B9ACA00"))),
                       "2.25.1000000000")
    }

    func testGeneratedUIDsAreValidAndDistinct() {
        let uids = (0..<2000).map { _ in DICOMUID.make() }
        XCTAssertEqual(Set(uids).count, uids.count)
        for uid in uids {
            XCTAssertTrue(uid.hasPrefix("2.25."), uid)
            XCTAssertNil(DICOMUID.problem(with: uid), uid)
        }
    }

    func testInvalidUIDsAreNamed() {
        XCTAssertNotNil(DICOMUID.problem(with: ""))
        XCTAssertNotNil(DICOMUID.problem(with: "1.2.03"))
        XCTAssertNotNil(DICOMUID.problem(with: "1..2"))
        XCTAssertNotNil(DICOMUID.problem(with: "1.2."))
        XCTAssertNotNil(DICOMUID.problem(with: "1.2.a"))
        XCTAssertNotNil(DICOMUID.problem(with: "1." + String(repeating: "9", count: 63)))
        XCTAssertNil(DICOMUID.problem(with: "1.2.0.840"))
    }
}
