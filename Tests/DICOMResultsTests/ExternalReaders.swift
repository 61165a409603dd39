import Foundation
import TestSupport

/// Runs the reference readers the results are checked with: dcmtk's `dcmdump` and
/// `dsrdump` (Debian's dcmtk) and `Scripts/read-results.py` (highdicom, pydicom; PyPI).
/// `scripts/install-deps` installs them; a missing one is a `FixtureError`, which fails.
enum ExternalReaders {
    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Scripts/read-results.py")

    /// Runs `executable` (looked up on PATH) with `arguments`.
    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        guard let path = locate(executable) else {
            throw FixtureError("\(executable) is not on PATH; scripts/install-deps installs it (dcmtk, or pip's highdicom for python3)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes to the end before waiting, so that a large output cannot block the child.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                      standardError: String(decoding: errorData, as: UTF8.self))
    }

    /// The reader script's JSON for `arguments` (e.g. ["sr", file]); throws with its stderr when it fails.
    static func readResults(_ arguments: [String]) throws -> [String: Any] {
        let output = try run("python3", [script.path] + arguments)
        guard output.status == 0 else {
            throw FixtureError("read-results.py \(arguments.joined(separator: " ")) failed (\(output.status)):\n\(output.standardError)")
        }
        guard let json = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any] else {
            throw FixtureError("read-results.py printed no JSON object: \(output.standardOutput)")
        }
        return json
    }

    static func locate(_ executable: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(executable)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
