// libFuzzer target: the report readers (OpenI XML, plain text, the CSV report stream) and the
// labeller on every report they yield. The first byte picks the format (its value mod 3: XML,
// text, CSV); the rest is written to a file of that extension in a private temp folder,
// because the readers take paths (ReportReader is what `thorax label` and the import call).
// No main: libFuzzer supplies it (see Fuzz/README.md).
import Foundation
import Reports

let folder: URL = {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("thorax-fuzz-reports-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

// Built once: loading the vocabulary and rules is not what is being fuzzed.
let labeler = try! ReportLabeler()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReports(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count >= 1 else { return 0 }
    let file = folder.appendingPathComponent("report." + ["xml", "txt", "csv"][Int(start[0]) % 3])
    guard (try? Data(bytes: start + 1, count: count - 1).write(to: file)) != nil else { return 0 }
    var workspace = ReportLabeler.Workspace()
    for result in ReportReader(paths: [file.path]) {
        if case .success(let report) = result {
            _ = labeler.label(report, workspace: &workspace)
        }
    }
    return 0
}
