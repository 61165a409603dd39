import CISAL
import Foundation

/// Encodes 8-bit gray or RGB images as PNG fast: each row with the Up filter (the difference to
/// the row above, which leaves little but zeros in smooth figures), one IDAT chunk deflated by
/// ISA-L at level 1, CRCs by ISA-L.
///
/// Written by hand for the same reason as `PNGDirectDecoder`: libpng compresses through zlib,
/// and on a 1024 × 1024 RGB heatmap figure zlib alone takes ≈ 30–45 ms at any level or strategy
/// (Huffman only, RLE, level 1; libpng's default costs ≈ 170 ms), which is most of a figure's
/// cost; ISA-L deflates it several times faster. The part written here is the chunk layout
/// (signature, IHDR, IDAT, IEND) and the Up filter; libpng, which decodes what it writes, is the
/// twin it is tested against, and `encode` returns nil (the caller then uses libpng) if ISA-L
/// fails.
enum PNGDirectEncoder {
    private static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    // pixels: (height, width, channels) row-major, 8-bit
    /// The PNG file of `pixels` (`channels` 1: gray, 3: RGB), or nil when ISA-L fails.
    /// - Precondition: width, height > 0; channels 1 or 3.
    static func encode(_ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int) -> Data? {
        precondition(width > 0 && height > 0 && (channels == 1 || channels == 3) && pixels.count >= width * height * channels)
        let rowBytes = width * channels
        // filtered: height rows of (filter byte 2, rowBytes differences)
        var filtered = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        filtered.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = out.baseAddress! + y * (rowBytes + 1)
                row[0] = 2  // Up
                let current = pixels.baseAddress! + y * rowBytes
                if y == 0 {
                    (row + 1).update(from: current, count: rowBytes)
                } else {
                    let above = current - rowBytes
                    for x in 0..<rowBytes { row[1 + x] = current[x] &- above[x] }
                }
            }
        }
        // Deflate never grows data by more than its stored blocks' headers (5 bytes per 64 KiB).
        let capacity = filtered.count + filtered.count / 1000 + 1024
        var compressed = [UInt8](repeating: 0, count: capacity)
        var written = 0
        let status = filtered.withUnsafeBufferPointer { input in
            compressed.withUnsafeMutableBufferPointer { output in
                thorax_isal_deflate_zlib(input.baseAddress, input.count, 1, output.baseAddress, capacity, &written)
            }
        }
        guard status == 0 else { return nil }

        var file = Data(capacity: written + 64)
        file.append(contentsOf: signature)
        var header = [UInt8]()
        appendBigEndian32(UInt32(width), to: &header)
        appendBigEndian32(UInt32(height), to: &header)
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]  // bit depth, colour type, deflate, filtering, no interlace
        appendChunk("IHDR", header[...], to: &file)
        appendChunk("IDAT", compressed[..<written], to: &file)
        appendChunk("IEND", [][...], to: &file)
        return file
    }

    /// Length, type, data and the CRC-32 of type and data.
    private static func appendChunk(_ type: String, _ data: ArraySlice<UInt8>, to file: inout Data) {
        var bytes = [UInt8]()
        appendBigEndian32(UInt32(data.count), to: &bytes)
        bytes += Array(type.utf8)
        bytes += data
        let crc = bytes.withUnsafeBufferPointer { thorax_isal_crc32(0, $0.baseAddress! + 4, $0.count - 4) }
        appendBigEndian32(crc, to: &bytes)
        file.append(contentsOf: bytes)
    }

    private static func appendBigEndian32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
