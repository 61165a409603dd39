import Foundation
import TestSupport

/// An Orthanc (Debian's orthanc and orthanc-dicomweb) for tests: a plain process with a
/// generated configuration in `directory`, its HTTP server (REST API and DICOMweb under
/// /dicom-web) on a free loopback port, no DICOM listener needed. `stop()` ends it with SIGTERM.
final class OrthancProcess {
    let process = Process()
    let httpPort: Int
    let log: URL

    var url: String { "http://127.0.0.1:\(httpPort)" }
    var dicomweb: String { url + "/dicom-web" }

    init(in directory: URL) throws {
        let plugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
        guard FileManager.default.fileExists(atPath: plugin) else {
            throw FixtureError("\(plugin) is missing: scripts/install-deps installs orthanc and orthanc-dicomweb")
        }
        let ports = try runPython(["-c", """
            import socket
            sockets = [socket.socket() for _ in range(2)]
            for s in sockets: s.bind(("127.0.0.1", 0))
            print(*[s.getsockname()[1] for s in sockets])
            """]).standardOutput.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard ports.count == 2 else { throw FixtureError("no free ports for Orthanc") }
        httpPort = ports[0]
        let storage = directory.appendingPathComponent("orthanc-storage")
        let configuration: [String: Any] = [
            "Name": "ThoraxTests", "StorageDirectory": storage.path, "IndexDirectory": storage.path,
            "HttpPort": ports[0], "DicomPort": ports[1], "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
            "SaveJobs": false, "Plugins": [plugin], "DicomWeb": ["Enable": true, "Root": "/dicom-web/"],
        ]
        let file = directory.appendingPathComponent("orthanc.json")
        try JSONSerialization.data(withJSONObject: configuration).write(to: file)
        log = directory.appendingPathComponent("orthanc.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["Orthanc", file.path]
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        for _ in 0..<300 {
            if (try? curl(["-fsS", url + "/system"]).status) == 0 { return }
            guard process.isRunning else { break }
            usleep(100_000)
        }
        stop()
        throw FixtureError("Orthanc did not start: \((try? String(contentsOf: log, encoding: .utf8))?.suffix(2000) ?? "")")
    }

    /// Stores `files` through Orthanc's REST API (POST /instances).
    func upload(_ files: [URL]) throws {
        for file in files {
            let result = try curl(["-fsS", "-X", "POST", "--data-binary", "@" + file.path, url + "/instances"])
            guard result.status == 0 else { throw FixtureError("Orthanc refused \(file.lastPathComponent): \(result.standardError)") }
        }
    }

    /// SIGTERM, then waits for the process to exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Runs curl from PATH with `arguments`.
func curl(_ arguments: [String]) throws -> ThoraxOutput {
    try runTool("curl", arguments)
}
