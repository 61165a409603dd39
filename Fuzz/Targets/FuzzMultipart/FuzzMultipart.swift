// libFuzzer target: the multipart/related reader (STOW-RS request bodies) and its Content-Type.
// Input: byte 0 picks a chunk size (1…64), the bytes up to the first LF are the Content-Type,
// the rest is the body. Besides crashes, it traps when reading the body in chunks and reading it
// whole disagree (parts or error), and when parts written back with the same boundary do not
// read back equal — the parser's two promises.
// No main: libFuzzer supplies it (see Fuzz/README.md).
import Foundation
import Multipart

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count >= 2 else { return 0 }
    let input = UnsafeBufferPointer(start: start, count: count)
    let chunkSize = 1 + Int(input[0]) % 64
    let rest = input[1...]
    let newline = rest.firstIndex(of: 0x0A) ?? rest.endIndex
    let contentType = String(decoding: rest[..<newline], as: UTF8.self)
    let body = Array(rest[min(newline + 1, rest.endIndex)...])
    let limits = MultipartParser.Limits(maximumPartBytes: 1 << 20, maximumHeaderBytes: 4096, maximumParts: 64)

    let whole = Result { try MultipartParser.parse(body, contentType: contentType, limits: limits) }
    let chunked = Result { () throws -> [MultipartPart] in
        var parser = try MultipartParser(contentType: contentType, limits: limits)
        var parts: [MultipartPart] = []
        for offset in stride(from: 0, to: body.count, by: chunkSize) {
            parts += try parser.append(body[offset..<min(offset + chunkSize, body.count)])
        }
        return parts + (try parser.finish())
    }
    switch (whole, chunked) {
    case (.success(let a), .success(let b)) where a == b:
        break
    case (.failure(let a as MultipartError), .failure(let b as MultipartError)) where a == b:
        break
    default:
        fatalError("whole and chunked reads disagree: \(whole) vs \(chunked)")
    }
    if case .success(let parts) = whole, let boundary = try? MediaType(parsing: contentType).parameters["boundary"],
       let writer = try? MultipartWriter(boundary: boundary), let encoded = try? writer.encode(parts) {
        let again = Result { try MultipartParser.parse(encoded, contentType: writer.contentType(), limits: limits) }
        guard case .success(let reread) = again, reread == parts else {
            fatalError("parts written back did not read back equal: \(again)")
        }
    }
    return 0
}
