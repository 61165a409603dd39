// libFuzzer target: the NIH release readers — Data_Entry_2017.csv, BBox_List_2017.csv and the
// train_val/test lists — over CommaSeparatedFile. The first byte picks the reader (mod 3); the
// rest is written to a private temp folder, since the readers take URLs. Image names the box
// and list readers must know are taken from the input's own first fields, so that their lines
// get past the "not in the Data_Entry file" check.
// No main: libFuzzer supplies it (see Fuzz/README.md).
import Foundation
@testable import Store

let folder: URL = {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("thorax-fuzz-nih-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNIH(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count >= 1 else { return 0 }
    let body = Data(bytes: start + 1, count: count - 1)
    let file = folder.appendingPathComponent("input.csv")
    guard (try? body.write(to: file)) != nil else { return 0 }
    let known = Set(String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline)
        .map { String($0.prefix { $0 != "," }) })
    switch start[0] % 3 {
    case 0: _ = try? NIHRelease.readDataEntry(file)
    case 1: _ = try? NIHRelease.readBoxes(file, known: known)
    default: _ = try? NIHRelease.readList(file, known: known)
    }
    return 0
}
