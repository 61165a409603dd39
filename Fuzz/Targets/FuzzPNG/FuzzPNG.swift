// libFuzzer target: PNG through the direct path (PNGDirectDecoder, our row filters over
// ISA-L inflate) and through libpng, both on every input.
//
// Every chunk's CRC is recomputed before decoding, as OSS-Fuzz's libpng target does by
// patching CRC checks out: otherwise nearly every mutation dies at the first CRC and the
// fuzzer never gets past the chunk walk into inflate and the filters. The input as given
// (bad CRCs included) is decoded too, so the CRC error paths stay covered.
// No main: libFuzzer supplies it (see Fuzz/README.md).
import Foundation
@testable import Imaging
import CZlib

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    decodeAllWays(data)
    let fixed = withFixedCRCs(data)
    if fixed != data { decodeAllWays(fixed) }
    return 0
}

func decodeAllWays(_ data: Data) {
    _ = PNGDirectDecoder.decode(data)
    _ = try? PNGCodec.decodeSamples(data, name: "fuzz.png")
    _ = try? PNGCodec.decode(data, name: "fuzz.png")
    _ = try? PNGCodec.decodeWithLibPNG(data, name: "fuzz.png")
}

/// `data` with each whole chunk's CRC set to the CRC of its type and body.
func withFixedCRCs(_ data: Data) -> Data {
    var bytes = [UInt8](data)
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = Int(UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
                         | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]))
        guard length <= bytes.count - offset - 12 else { break }
        let crc = bytes.withUnsafeBufferPointer {
            UInt32(crc32(0, $0.baseAddress! + offset + 4, UInt32(length + 4)))
        }
        let at = offset + 8 + length
        bytes[at] = UInt8(crc >> 24); bytes[at + 1] = UInt8((crc >> 16) & 0xFF)
        bytes[at + 2] = UInt8((crc >> 8) & 0xFF); bytes[at + 3] = UInt8(crc & 0xFF)
        offset = at + 4
    }
    return Data(bytes)
}
