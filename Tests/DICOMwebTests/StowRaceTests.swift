import DICOMResults
import DICOMweb
import Evaluation
import Foundation
import HTTPTypes
import HummingbirdTesting
import Imaging
import XCTest

/// Two stores of one new SOP Instance UID at once: both pass the "stored already?" check
/// before either files (a predictor holds each until both have arrived). The same bytes are
/// then two successes and one stored copy; other bytes are refused with 0111 (Duplicate SOP
/// Instance), never A900, and leave nothing of theirs behind.
final class StowRaceTests: XCTestCase {
    func testTheSameBytesStoredTwiceAtOnceAreTwoSuccesses() async throws {
        let predictor = GatedPredictor(try BundledModel.load(), arrivals: 2)
        try await withDICOMweb(predictor: predictor) { fixture, client in
            let instance = TestInstance()
            let statuses = try await Self.storeTogether([instance.bytes, instance.bytes], client)
            XCTAssertEqual(statuses.map(\.status), [.ok, .ok], "\(statuses)")
            XCTAssertEqual(statuses.map(\.failures), [[], []])
            let counts = try fixture.counts()
            XCTAssertEqual(counts.patients, 1)
            XCTAssertEqual(counts.images, 1)
            let stored = try fixture.database.storedDICOMInstances(study: instance.studyUID)
            XCTAssertEqual(stored.filter { $0.derivedFrom == nil }.map(\.sopInstanceUID), [instance.sopInstanceUID])
            XCTAssertEqual(try fixture.files().count, stored.count, "one stored copy: no file of the second store is left")
        }
    }

    func testOtherBytesUnderTheUIDAtOnceAreRefusedAsDuplicates() async throws {
        let predictor = GatedPredictor(try BundledModel.load(), arrivals: 2)
        try await withDICOMweb(predictor: predictor) { fixture, client in
            let instance = TestInstance()
            var other = instance
            other.accessionNumber = "ACC-78"
            let statuses = try await Self.storeTogether([instance.bytes, other.bytes], client)
            XCTAssertEqual(statuses.map(\.status).sorted { $0.code < $1.code }, [.ok, .conflict], "\(statuses)")
            XCTAssertEqual(statuses.flatMap(\.failures), [0x0111], "the loser is a Duplicate SOP Instance, not A900")
            let stored = try fixture.database.storedDICOMInstances(study: instance.studyUID)
            XCTAssertEqual(stored.filter { $0.derivedFrom == nil }.count, 1)
            XCTAssertEqual(try fixture.files().count, stored.count, "the refused store left no file")
        }
    }

    /// Stores each body in its own STOW-RS request, all at once; each one's status and failure reasons.
    static func storeTogether(_ bodies: [[UInt8]], _ client: any TestClientProtocol) async throws
        -> [(status: HTTPResponse.Status, failures: [Int])] {
        try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status, [Int]).self) { group in
            for (index, bytes) in bodies.enumerated() {
                group.addTask {
                    let (body, headers) = try StowBody.make([bytes])
                    return try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                        let dataSet = try response.dataSets().first ?? [:]
                        return (index, response.status, items(dataSet, "00081198").compactMap { integer($0, "00081197") })
                    }
                }
            }
            var results = [(status: HTTPResponse.Status, failures: [Int])](repeating: (.ok, []), count: bodies.count)
            for try await (index, status, failures) in group { results[index] = (status, failures) }
            return results
        }
    }
}

/// Holds every prediction until `arrivals` have been asked for, then makes them all: requests
/// that must overlap (each past its duplicate check before any files) then do.
final class GatedPredictor: InstancePredictor, @unchecked Sendable {
    // @unchecked Sendable: `waiting` and `arrived` are only touched under `lock`.
    private let wrapped: any InstancePredictor
    private let arrivals: Int
    private let lock = NSLock()
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ wrapped: any InstancePredictor, arrivals: Int) {
        self.wrapped = wrapped
        self.arrivals = arrivals
    }

    var algorithm: AlgorithmIdentity { wrapped.algorithm }

    func predict(_ image: GrayscaleImage) async throws -> Prediction {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            arrived += 1
            waiting.append(continuation)
            let release = arrived >= arrivals ? waiting : []
            if arrived >= arrivals { waiting = [] }
            lock.unlock()
            for waiter in release { waiter.resume() }
        }
        return try await wrapped.predict(image)
    }
}
