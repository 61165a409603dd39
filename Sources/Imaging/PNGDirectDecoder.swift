import CISAL
import Foundation

/// Decodes the PNG layouts X-ray archives hold — non-interlaced, 8 or 16 bits, gray, gray+alpha,
/// RGB or RGBA, no transparency chunk — by walking the chunks itself, inflating the image data
/// with ISA-L and undoing the row filters.
///
/// Written by hand because every PNG library Debian ships (libpng, libspng) inflates through
/// zlib, which is most of a decode: on a 1024×1024 NIH image here libpng takes ≈ 9.9 ms, of which
/// zlib's inflate alone is ≈ 4.5 ms, while ISA-L inflates the same stream in ≈ 2.0 ms. The part
/// written here is small (chunk walk with CRC checks, the five row filters); libpng stays the
/// decoder of everything else and the reference twin this one is tested against.
///
/// `decode` returns nil — never a different image — for anything it does not handle or finds
/// wrong (another layout, interlacing, a `tRNS` chunk, a bad CRC or zlib stream, a missing
/// `IEND`, data of the wrong length); the caller then lets libpng decode the file or name the
/// error, so broken files get libpng's messages.
enum PNGDirectDecoder {
    /// The header fields the direct path needs.
    struct Header: Equatable {
        var width: Int
        var height: Int
        var bitDepth: Int
        /// 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
        var channels: Int
        /// Bytes per complete pixel: the distance the Sub, Average and Paeth filters look back.
        var bytesPerPixel: Int { channels * bitDepth / 8 }
        var rowBytes: Int { width * bytesPerPixel }
    }

    /// The decoded samples in file order: `height` rows of `rowBytes` bytes, 16-bit samples
    /// big-endian as PNG stores them.
    struct Decoded {
        var header: Header
        var bytes: [UInt8]
    }

    private static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes `data`, or returns nil when the direct path does not apply (see the type's note)
    /// or the image is over `limits.maximumPixels` (libpng then names the error).
    static func decode(_ data: Data, limits: ImagingLimits = .standard) -> Decoded? {
        data.withUnsafeBytes { raw -> Decoded? in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return nil }
            return decode(base, count: raw.count, limits: limits)
        }
    }

    static func decode(_ file: UnsafePointer<UInt8>, count: Int, limits: ImagingLimits = .standard) -> Decoded? {
        guard count >= 8 + 25, (0..<8).allSatisfy({ file[$0] == signature[$0] }) else { return nil }
        var offset = 8
        var header: Header?
        // The image data is the concatenation of the IDAT chunks, which must be consecutive.
        var imageData: [(start: Int, length: Int)] = []
        var sawEnd = false
        var idatRunClosed = false
        while offset + 12 <= count {
            let length = Int(readBigEndian32(file + offset))
            let type = readBigEndian32(file + offset + 4)
            guard length <= count - offset - 12 else { return nil }
            let body = offset + 8
            let isCritical = (type >> 29) & 1 == 0  // lower-case first letter: ancillary
            switch type {
            case chunk("IHDR"):
                guard header == nil, length == 13, crcMatches(file + offset, length: length),
                      let parsed = parseHeader(file + body) else { return nil }
                header = parsed
            case chunk("IDAT"):
                guard header != nil, !idatRunClosed, crcMatches(file + offset, length: length) else { return nil }
                imageData.append((body, length))
            case chunk("IEND"):
                guard crcMatches(file + offset, length: length) else { return nil }
                sawEnd = true
            case chunk("PLTE"):
                // A suggested palette in a true-colour file changes nothing; colour type 3 never
                // gets here (parseHeader refuses it).
                guard crcMatches(file + offset, length: length) else { return nil }
            case chunk("tRNS"):
                return nil  // libpng turns it into an alpha channel
            default:
                if isCritical { return nil }  // an unknown critical chunk: libpng names the error
            }
            if type != chunk("IDAT") && !imageData.isEmpty { idatRunClosed = true }
            offset = body + length + 4
            if sawEnd { break }
        }
        guard sawEnd, let header, !imageData.isEmpty else { return nil }
        return inflateAndUnfilter(file, imageData: imageData, header: header, limits: limits)
    }

    /// The IHDR fields, or nil for layouts the direct path leaves to libpng.
    private static func parseHeader(_ body: UnsafePointer<UInt8>) -> Header? {
        let width = Int(readBigEndian32(body)), height = Int(readBigEndian32(body + 4))
        let bitDepth = Int(body[8]), colourType = body[9]
        let compression = body[10], filter = body[11], interlace = body[12]
        guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24,
              compression == 0, filter == 0, interlace == 0,
              bitDepth == 8 || bitDepth == 16 else { return nil }
        let channels: Int
        switch colourType {
        case 0: channels = 1
        case 4: channels = 2
        case 2: channels = 3
        case 6: channels = 4
        default: return nil
        }
        return Header(width: width, height: height, bitDepth: bitDepth, channels: channels)
    }

    private static func inflateAndUnfilter(_ file: UnsafePointer<UInt8>, imageData: [(start: Int, length: Int)],
                                           header: Header, limits: ImagingLimits) -> Decoded? {
        let rowBytes = header.rowBytes
        let (filteredCount, overflow) = (rowBytes + 1).multipliedReportingOverflow(by: header.height)
        // Check the size IHDR declares before allocating for it: deflate expands at most about
        // 1032-fold, so more than that from the IDAT bytes present cannot be a valid file, and
        // the pixel limit holds whatever the data. Either way libpng then gives the error.
        let compressed = imageData.reduce(0) { $0 + $1.length }
        guard !overflow, filteredCount < 1 << 32, filteredCount <= 1032 * compressed + 1024,
              header.width * header.height <= limits.maximumPixels else { return nil }
        // One IDAT (the common case) is inflated in place; several are joined first.
        var joined: [UInt8] = []
        if imageData.count > 1 {
            joined.reserveCapacity(imageData.reduce(0) { $0 + $1.length })
            for part in imageData { joined.append(contentsOf: UnsafeBufferPointer(start: file + part.start, count: part.length)) }
        }
        let filtered = UnsafeMutablePointer<UInt8>.allocate(capacity: filteredCount)
        defer { filtered.deallocate() }
        var written = 0
        let status: Int32
        if imageData.count == 1 {
            status = thorax_isal_inflate_zlib(file + imageData[0].start, imageData[0].length, filtered, filteredCount, &written)
        } else {
            status = joined.withUnsafeBufferPointer {
                thorax_isal_inflate_zlib($0.baseAddress, $0.count, filtered, filteredCount, &written)
            }
        }
        guard status == ISAL_DECOMP_OK, written == filteredCount else { return nil }
        let bytes = [UInt8](unsafeUninitializedCapacity: rowBytes * header.height) { buffer, initialized in
            initialized = unfilter(filtered, into: buffer.baseAddress!, rowBytes: rowBytes, height: header.height,
                                   bytesPerPixel: header.bytesPerPixel) ? buffer.count : 0
        }
        guard bytes.count == rowBytes * header.height else { return nil }
        return Decoded(header: header, bytes: bytes)
    }

    /// Undoes PNG's per-row filters (None, Sub, Up, Average, Paeth; ISO 15948 §9). `filtered`
    /// holds `height` rows of one filter-type byte plus `rowBytes` bytes; `output` receives the
    /// rows without the type bytes. Returns false on an unknown filter type.
    // filtered: (height, 1 + rowBytes) -> output: (height, rowBytes)
    static func unfilter(_ filtered: UnsafePointer<UInt8>, into output: UnsafeMutablePointer<UInt8>,
                         rowBytes: Int, height: Int, bytesPerPixel bpp: Int) -> Bool {
        // Row -1 is all zeros: Up becomes None, Paeth becomes Sub, Average halves the left byte.
        let zeros = [UInt8](repeating: 0, count: rowBytes)
        return zeros.withUnsafeBufferPointer { zeroRow -> Bool in
            for y in 0..<height {
                let source = filtered + y * (rowBytes + 1) + 1
                let row = output + y * rowBytes
                let prior = y == 0 ? zeroRow.baseAddress! : UnsafePointer(output + (y - 1) * rowBytes)
                let filter = source[-1]
                guard filter <= 4 else { return false }
                if bpp == 1 {
                    unfilterOneBytePixels(filter, source, prior, row, rowBytes)
                } else {
                    unfilterRow(filter, source, prior, row, rowBytes, bpp)
                }
            }
            return true
        }
    }

    /// One row of 8-bit gray, the X-ray case: the byte to the left stays in a register, since
    /// reading it back from the row just written costs a store-to-load round trip per byte.
    @inline(__always)
    private static func unfilterOneBytePixels(_ filter: UInt8, _ source: UnsafePointer<UInt8>,
                                              _ prior: UnsafePointer<UInt8>, _ row: UnsafeMutablePointer<UInt8>,
                                              _ count: Int) {
        switch filter {
        case 0:
            row.update(from: source, count: count)
        case 1:
            var left: UInt8 = 0
            for i in 0..<count { left = source[i] &+ left; row[i] = left }
        case 2:
            for i in 0..<count { row[i] = source[i] &+ prior[i] }
        case 3:
            var left: UInt16 = 0
            for i in 0..<count {
                let value = source[i] &+ UInt8(truncatingIfNeeded: (left &+ UInt16(prior[i])) >> 1)
                row[i] = value
                left = UInt16(value)
            }
        default:
            var left: Int32 = 0, upperLeft: Int32 = 0
            for i in 0..<count {
                let above = Int32(prior[i])
                let value = source[i] &+ paeth(left, above, upperLeft)
                row[i] = value
                left = Int32(value)
                upperLeft = above
            }
        }
    }

    /// One row of any other pixel size (2–8 bytes): `bpp` independent chains interleave, so the
    /// left byte is read back from the row.
    @inline(__always)
    private static func unfilterRow(_ filter: UInt8, _ source: UnsafePointer<UInt8>, _ prior: UnsafePointer<UInt8>,
                                    _ row: UnsafeMutablePointer<UInt8>, _ count: Int, _ bpp: Int) {
        let head = min(bpp, count)
        switch filter {
        case 0:
            row.update(from: source, count: count)
        case 1:
            for i in 0..<head { row[i] = source[i] }
            for i in head..<count { row[i] = source[i] &+ row[i - bpp] }
        case 2:
            for i in 0..<count { row[i] = source[i] &+ prior[i] }
        case 3:
            for i in 0..<head { row[i] = source[i] &+ (prior[i] >> 1) }
            for i in head..<count {
                row[i] = source[i] &+ UInt8(truncatingIfNeeded: (UInt16(row[i - bpp]) &+ UInt16(prior[i])) >> 1)
            }
        default:
            for i in 0..<head { row[i] = source[i] &+ prior[i] }
            for i in head..<count {
                row[i] = source[i] &+ paeth(Int32(row[i - bpp]), Int32(prior[i]), Int32(prior[i - bpp]))
            }
        }
    }

    /// The Paeth predictor: whichever of left `a`, above `b`, upper-left `c` is nearest to
    /// a + b − c, ties going to a, then b. Computed in stb_image's equivalent form (public
    /// domain, v2.28): with lo/hi the smaller/larger of a and b and t = 3c − a − b, the answer
    /// is hi when t ≤ lo, lo when hi ≤ t, else c — fewer steps depend on `a`, which is the
    /// previous output byte in a row of 8-bit gray.
    @inline(__always)
    private static func paeth(_ a: Int32, _ b: Int32, _ c: Int32) -> UInt8 {
        let threshold = c &* 3 &- (a &+ b)
        let low = min(a, b), high = max(a, b)
        let notLow = high <= threshold ? low : c
        return UInt8(truncatingIfNeeded: threshold <= low ? high : notLow)
    }

    /// Whether the CRC stored after the chunk at `chunk` (length, type, body, CRC) matches its
    /// type and body.
    private static func crcMatches(_ chunk: UnsafePointer<UInt8>, length: Int) -> Bool {
        thorax_isal_crc32(0, chunk + 4, length + 4) == readBigEndian32(chunk + 8 + length)
    }

    @inline(__always)
    private static func readBigEndian32(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
    }

    private static func chunk(_ name: StaticString) -> UInt32 {
        let p = name.utf8Start
        return readBigEndian32(p)
    }
}
