// libFuzzer target: DICOM Part 10 from the preamble through pixel decoding, and the full
// element walk with sequences, for whichever transfer syntax the input names (the seed corpus has one file per supported syntax, and
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
    // Every element with its sequences' items (DICOMweb's metadata); in implicit-VR inputs the
    // tags of group 0040 (a report's content tree) count as sequences, so that their
    // defined-length items are walked too.
    _ = try? DICOMFile.dataElements(data, name: "fuzz.dcm", implicitVR: { group, _ in group == 0x0040 ? "SQ" : nil },
                                    inlineLimit: 64)
    return 0
}
