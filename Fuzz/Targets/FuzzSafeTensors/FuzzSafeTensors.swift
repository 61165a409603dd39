// libFuzzer target: a safetensors file's header (JSON, dtypes, shapes, data offsets) and then
// every tensor it declares read back, so that an offset the header check let through would be
// read out of bounds here. No main: libFuzzer supplies it (see Fuzz/README.md).
import Foundation
import SafeTensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let file = try? SafeTensorsFile(data: data, path: "fuzz.safetensors") else { return 0 }
    for name in file.floatNames { _ = try? file.tensor(name) }
    for name in file.integerNames { _ = try? file.integers(name) }
    return 0
}
