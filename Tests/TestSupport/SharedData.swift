import Foundation

/// Locates the project's shared real data for tests: the folder `THORAX_SHARED_DATA` names, else
/// `shared/data` in the folder beside the checkout.
///
/// A user's fresh clone has neither: tests that need the data find `url(_:)` nil there and
/// skip (`XCTSkip`), naming what is missing. CI has the folder and runs them.
public enum SharedData {
    /// The repository root, found from this source file's path (Tests/TestSupport/...).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared data directory, or nil when it does not exist.
    public static var directory: URL? {
        let candidates: [URL] = [
            ProcessInfo.processInfo.environment["THORAX_SHARED_DATA"].map { URL(fileURLWithPath: $0) },
            repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data"),
        ].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Returns `relativePath` inside the shared data directory, or nil when it is missing.
    public static func url(_ relativePath: String) -> URL? {
        guard let base = directory else { return nil }
        let url = base.appendingPathComponent(relativePath)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// A fresh temporary directory, removed by the caller when done.
    public static func temporaryDirectory(_ prefix: String = "thorax-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A test fixture that could not be built (a missing executable, a failed import): thrown, it
/// fails the test — unlike `XCTSkip`, which is only for data a developer's clone lacks.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
