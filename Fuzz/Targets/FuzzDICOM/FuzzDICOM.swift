// libFuzzer target: DICOM Part 10 from the preamble through pixel decoding, for whichever
// transfer syntax the input names (the seed corpus has one file per supported syntax, and
// Fuzz/dicom.dict carries their UIDs and the tags the reader looks at).
// No main: libFuzzer supplies it (built with -sanitize=fuzzer; see Fuzz/README.md).
import Foundation
@testable import Imaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDICOM(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    // Every failure must be a thrown ImagingError; a trap or sanitizer report is the finding.
    if let file = try? DICOMFile(data, name: "fuzz.dcm") {
        _ = try? file.image()
    }
    return 0
}
