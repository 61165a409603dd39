import Foundation
import TestSupport
import XCTest

/// Runs thorax-mpi-check under `mpirun` on this machine (shared memory between the ranks) and
/// asserts on its exit status and output. Open MPI is a build dependency (scripts/install-deps),
/// so a missing `mpirun` fails these tests rather than skipping them.
final class MPILaunchTests: XCTestCase {
    func testCollectivesGiveExactResultsOnTwoRanks() throws {
        let run = try MPIRun.launch(ranks: 2, ["verify"], timeout: 120)
        XCTAssertFalse(run.timedOut, "mpirun did not finish in 120 s:\n\(run.output)")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("verified on 2 ranks: allreduce sum, allreduce average, non-blocking allreduce, broadcast floats, broadcast bytes, broadcast Codable, gather floats, gather bytes, gather Codable, gradient buckets, allreduce doubles, summed gradient buckets, duplicate communicator, lowest failing rank, MPI error names rank and call, count mismatch fails on every rank, encoding failure fails on every rank, differing bucket plans fail on every rank\n"), run.output)
    }

    /// Three ranks: averages divide by a number that is not a power of two, and the checks'
    /// last rank is not rank 1.
    func testCollectivesGiveExactResultsOnThreeRanks() throws {
        let run = try MPIRun.launch(ranks: 3, ["verify"], timeout: 120)
        XCTAssertFalse(run.timedOut, "mpirun did not finish in 120 s:\n\(run.output)")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("verified on 3 ranks: "), run.output)
    }

    /// Rank 1 throws while rank 0 waits in an allreduce it will never finish: the launcher must
    /// end both within seconds, non-zero, with rank 1's message once.
    func testAFailureOnOneRankEndsEveryRankWithOneMessage() throws {
        let run = try MPIRun.launch(ranks: 2, ["fail", "--rank", "1"], timeout: 60)
        XCTAssertFalse(run.timedOut, "a rank hung after rank 1 failed:\n\(run.output)")
        XCTAssertNotEqual(run.status, 0, run.output)
        XCTAssertLessThan(run.seconds, 30, run.output)
        XCTAssertEqual(run.output.components(separatedBy: "simulated failure").count - 1, 1, run.output)
        XCTAssertTrue(run.output.contains("Error: rank 1 of 2: simulated failure on rank 1\n"), run.output)
    }

    /// `verify` on a single rank refuses with its reason instead of passing vacuously.
    func testVerifyRefusesToRunAlone() throws {
        let run = try MPIRun.launch(ranks: 1, ["verify"], timeout: 60)
        XCTAssertFalse(run.timedOut, run.output)
        XCTAssertNotEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("Error: rank 0 of 1: verify needs at least 2 ranks"), run.output)
    }
}

/// One `mpirun` of the thorax-mpi-check binary built next to the tests.
struct MPIRun {
    let status: Int32
    /// Standard output and standard error together, as a terminal shows them.
    let output: String
    let seconds: Double
    let timedOut: Bool

    /// Starts `mpirun -np ranks thorax-mpi-check arguments…` and waits at most `timeout`
    /// seconds; past it, terminates the launcher (which ends its ranks) and reports the timeout.
    static func launch(ranks: Int, _ arguments: [String], timeout: Double) throws -> MPIRun {
        let search = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        guard let mpirun = search.map({ "\($0)/mpirun" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw FixtureError("mpirun is not on PATH (scripts/install-deps installs openmpi-bin)")
        }
        let directory = try SharedData.temporaryDirectory("thorax-mpi")
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("output.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        // --oversubscribe: more ranks than cores is fine for a check; root (CI) must say so.
        process.arguments = ["-np", "\(ranks)", "--oversubscribe"] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
            + [try checkBinary().path] + arguments
        process.standardOutput = handle
        process.standardError = handle
        let start = Date()
        let timedOut = try process.runUntilExit(timeout: timeout)
        let seconds = Date().timeIntervalSince(start)
        let output = String(decoding: try Data(contentsOf: log), as: UTF8.self)
        return MPIRun(status: process.terminationStatus, output: output, seconds: seconds, timedOut: timedOut)
    }

    /// The products directory holds the test bundle (macOS) or the test executable (Linux).
    private static func checkBinary() throws -> URL {
        let candidates = [
            Bundle(for: MPILaunchTests.self).bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("thorax-mpi-check") }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw FixtureError("thorax-mpi-check is not built next to the tests (looked at \(candidates.map(\.path)))")
        }
        return binary
    }
}
