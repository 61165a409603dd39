// libFuzzer target: every JPEG decoder on every input — libjpeg-turbo (JPEGCodec, 8-bit), our
// Swift sequential decoder (the 12-bit DCT path DICOM's Process 4 takes) and our Swift lossless
// decoder (Process 14) — since each walks the same markers and tables differently.
// No main: libFuzzer supplies it (see Fuzz/README.md).
import Foundation
@testable import Imaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { [UInt8](UnsafeBufferPointer(start: $0, count: count)) } ?? []
    _ = try? JPEGCodec.decode(Data(bytes), name: "fuzz.jpg")
    _ = try? SequentialJPEGDecoder.decode(bytes)
    _ = try? LosslessJPEGDecoder.decode(bytes)
    return 0
}
