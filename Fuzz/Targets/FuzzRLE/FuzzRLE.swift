// libFuzzer target: the DICOM RLE Lossless frame decoder on its own, so the fuzzer spends its
// time in the PackBits segments rather than in reaching them through a DICOM header. The first
// 6 bytes choose the image the header would declare (rows and columns, big-endian UInt16;
// bits allocated 8, 16 or 32; 1 or 3 samples per pixel); the rest is the frame.
// No main: libFuzzer supplies it (see Fuzz/README.md).
import Foundation
@testable import Imaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRLE(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count >= 6 else { return 0 }
    let rows = Int(start[0]) << 8 | Int(start[1])
    let columns = Int(start[2]) << 8 | Int(start[3])
    let bits = [8, 16, 32][Int(start[4]) % 3]
    let samples = start[5] & 1 == 0 ? 1 : 3
    let metadata = DICOMMetadata(
        transferSyntaxUID: DICOMTransferSyntax.rleLossless, patientID: nil, studyInstanceUID: nil,
        seriesInstanceUID: nil, sopInstanceUID: nil, modality: nil, viewPosition: nil, patientAge: nil,
        patientSex: nil, pixelSpacingValues: nil, rows: rows, columns: columns, samplesPerPixel: samples,
        photometricInterpretation: samples == 3 ? "RGB" : "MONOCHROME2", bitsAllocated: bits, bitsStored: bits,
        highBit: bits - 1, pixelRepresentation: 0, numberOfFrames: 1, planarConfiguration: 0, rescaleSlope: 1,
        rescaleIntercept: 0, windowCenter: nil, windowWidth: nil, voiLUTFunction: "LINEAR")
    let frame = [UInt8](UnsafeBufferPointer(start: start + 6, count: count - 6))
    _ = try? RLEDecoder.decode(frame, metadata: metadata, name: "fuzz.dcm")
    return 0
}
