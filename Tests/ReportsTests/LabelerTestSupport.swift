import XCTest
@testable import Reports

/// The bundled labeller, built once for all tests.
let bundledLabeler: ReportLabeler = {
    do { return try ReportLabeler() } catch { fatalError("bundled vocabulary does not load: \(error)") }
}()

/// Labels one sentence (as a FINDINGS section) and returns the value for `finding`.
func value(_ finding: Finding, in sentence: String, file: StaticString = #filePath, line: UInt = #line) -> LabelValue? {
    let report = Report(id: "t", sections: [ReportSection(name: "FINDINGS", text: sentence)], source: ReportSource(path: "test"))
    return bundledLabeler.label(report)[finding]
}
