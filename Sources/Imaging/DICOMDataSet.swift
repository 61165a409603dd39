/// A DICOM tag, (group, element).
struct DICOMTag: Hashable, CustomStringConvertible {
    let group: UInt16
    let element: UInt16

    init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    var description: String {
        "(" + String(group, radix: 16, uppercase: true).leftPadded(4) + ","
            + String(element, radix: 16, uppercase: true).leftPadded(4) + ")"
    }

    static let item = DICOMTag(0xFFFE, 0xE000)
    static let itemDelimitation = DICOMTag(0xFFFE, 0xE00D)
    static let sequenceDelimitation = DICOMTag(0xFFFE, 0xE0DD)
    static let pixelData = DICOMTag(0x7FE0, 0x0010)
}

extension String {
    func leftPadded(_ length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

/// A top-level data element: its VR (as read, or "??" for implicit VR) and value bytes, or
/// for encapsulated pixel data the fragments.
struct DICOMElement {
    var vr: String
    /// Range of the value in the parser's bytes (empty for encapsulated data).
    var value: Range<Int>
    /// Encapsulated pixel data: the Basic Offset Table, then each fragment's byte range.
    var offsetTable: Range<Int>? = nil
    var fragments: [Range<Int>]? = nil
}

/// Reads a DICOM Part 10 byte stream: the file meta group (always explicit VR little endian)
/// and the data set in its transfer syntax. Sequences are walked (to skip them correctly,
/// including undefined lengths) but only top-level elements are kept.
/// Hand-written: Debian has DICOM C++ toolkits (dcmtk, GDCM) but no C API to bind.
struct DICOMParser {
    let bytes: [UInt8]
    let name: String
    let limits: ImagingLimits
    var littleEndian = true
    var explicitVR = true
    /// How many sequences enclose the elements being read: bounded by
    /// `limits.maximumSequenceDepth`, since each level recurses (parse → skipSequence →
    /// parseItem → parse) and a file of nothing but nested items would otherwise overflow the stack.
    var depth = 0

    init(bytes: [UInt8], name: String, limits: ImagingLimits = .standard) {
        self.bytes = bytes
        self.name = name
        self.limits = limits
    }

    func error(_ reason: String) -> ImagingError { ImagingError(file: name, reason: "DICOM: \(reason)") }

    func uint16(at offset: Int) -> UInt16 {
        let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
        return littleEndian ? a | b << 8 : a << 8 | b
    }

    func uint32(at offset: Int) -> UInt32 {
        let a = UInt32(bytes[offset]), b = UInt32(bytes[offset + 1]),
            c = UInt32(bytes[offset + 2]), d = UInt32(bytes[offset + 3])
        return littleEndian ? a | b << 8 | c << 16 | d << 24 : a << 24 | b << 16 | c << 8 | d
    }

    /// VRs whose explicit encoding has 2 reserved bytes and a 32-bit length.
    static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]

    struct Header {
        var tag: DICOMTag
        var vr: String
        var length: UInt32   // 0xFFFFFFFF: undefined
        var valueOffset: Int
    }

    /// Reads one element header at `offset`.
    func header(at offset: Int) throws -> Header {
        guard offset + 8 <= bytes.count else {
            throw error("file is truncated: element header at byte \(offset) runs past the end (\(bytes.count) bytes)")
        }
        let tag = DICOMTag(uint16(at: offset), uint16(at: offset + 2))
        if tag.group == 0xFFFE {   // items and delimiters never carry a VR
            return Header(tag: tag, vr: "", length: uint32(at: offset + 4), valueOffset: offset + 8)
        }
        if !explicitVR {
            return Header(tag: tag, vr: "??", length: uint32(at: offset + 4), valueOffset: offset + 8)
        }
        let vr = String(decoding: bytes[(offset + 4)..<(offset + 6)], as: UTF8.self)
        guard vr.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            // The two bytes are not repeated: in a misread file they may be part of a name.
            throw error("corrupt data: element \(tag) at byte \(offset) has no valid VR (its two bytes are not upper-case letters)")
        }
        if DICOMParser.longVRs.contains(vr) {
            guard offset + 12 <= bytes.count else {
                throw error("file is truncated: element \(tag) header at byte \(offset) runs past the end")
            }
            return Header(tag: tag, vr: vr, length: uint32(at: offset + 8), valueOffset: offset + 12)
        }
        return Header(tag: tag, vr: vr, length: UInt32(uint16(at: offset + 6)), valueOffset: offset + 8)
    }

    /// Parses elements from `offset` until `end` (or a `stop` tag at this level), storing
    /// top-level ones in `elements` when `store` is true. Returns the offset after the last
    /// element read (after the stop tag when one ended the loop) and whether a stop tag did.
    @discardableResult
    func parse(from start: Int, to end: Int, stopAt stop: DICOMTag? = nil, store: Bool,
               into elements: inout [DICOMTag: DICOMElement], onlyGroup group: UInt16? = nil) throws -> (Int, Bool) {
        var offset = start
        while offset < end {
            if let group, offset + 2 <= bytes.count, uint16(at: offset) != group { return (offset, false) }
            let h = try header(at: offset)
            if let stop, h.tag == stop { return (h.valueOffset, true) }
            if h.length == 0xFFFF_FFFF {
                if h.tag == DICOMTag.pixelData {
                    let (element, next) = try encapsulated(from: h.valueOffset, vr: h.vr)
                    if store { elements[h.tag] = element }
                    offset = next
                } else if h.vr == "SQ" || h.vr == "??" || h.vr == "UN" {
                    offset = try skipSequence(from: h.valueOffset, tag: h.tag, implicitContents: h.vr == "UN")
                } else {
                    throw error("corrupt data: element \(h.tag) (\(h.vr)) has undefined length at byte \(offset)")
                }
                continue
            }
            let length = Int(h.length)
            guard h.valueOffset + length <= bytes.count else {
                throw error("file is truncated: element \(h.tag) at byte \(offset) declares \(length) bytes, \(bytes.count - h.valueOffset) remain")
            }
            if store { elements[h.tag] = DICOMElement(vr: h.vr, value: h.valueOffset..<(h.valueOffset + length)) }
            offset = h.valueOffset + length
        }
        return (offset, false)
    }

    /// Skips a sequence of undefined length starting at its first item; returns the offset
    /// after its delimiter. `implicitContents`: a UN element of undefined length holds
    /// implicit VR little endian items (PS3.5 6.2.2).
    func skipSequence(from start: Int, tag: DICOMTag, implicitContents: Bool) throws -> Int {
        var nested = self
        nested.depth += 1
        try limits.checkSequenceDepth(nested.depth, at: tag, error)
        if implicitContents { nested.explicitVR = false; nested.littleEndian = true }
        var offset = start
        var ignored: [DICOMTag: DICOMElement] = [:]
        while true {
            let h = try nested.header(at: offset)
            if h.tag == DICOMTag.sequenceDelimitation { return h.valueOffset }
            guard h.tag == DICOMTag.item else {
                throw error("corrupt data: expected an item in sequence \(tag) at byte \(offset), found \(h.tag)")
            }
            if h.length == 0xFFFF_FFFF {
                offset = try nested.parseItem(from: h.valueOffset, into: &ignored)
            } else {
                guard h.valueOffset + Int(h.length) <= bytes.count else {
                    throw error("file is truncated inside sequence \(tag)")
                }
                offset = h.valueOffset + Int(h.length)
            }
        }
    }

    /// Walks an item of undefined length up to and past its item delimiter.
    func parseItem(from start: Int, into ignored: inout [DICOMTag: DICOMElement]) throws -> Int {
        let (after, delimited) = try parse(from: start, to: bytes.count, stopAt: DICOMTag.itemDelimitation,
                                           store: false, into: &ignored)
        if !delimited { throw error("file is truncated: a sequence item has no item delimiter") }
        return after
    }

    /// Reads encapsulated pixel data: items until the sequence delimiter.
    func encapsulated(from start: Int, vr: String) throws -> (DICOMElement, Int) {
        var offset = start
        var table: Range<Int>? = nil
        var fragments: [Range<Int>] = []
        while true {
            guard offset + 8 <= bytes.count else {
                throw error("file is truncated: encapsulated Pixel Data ends without its sequence delimiter")
            }
            let tag = DICOMTag(uint16(at: offset), uint16(at: offset + 2))
            let length = Int(uint32(at: offset + 4))
            if tag == DICOMTag.sequenceDelimitation { break }
            guard tag == DICOMTag.item else {
                throw error("corrupt data: expected a Pixel Data fragment item at byte \(offset), found \(tag)")
            }
            let value = (offset + 8)..<(offset + 8 + length)
            guard value.upperBound <= bytes.count else {
                throw error("file is truncated: Pixel Data fragment at byte \(offset) declares \(length) bytes, \(bytes.count - offset - 8) remain")
            }
            if table == nil { table = value } else { fragments.append(value) }
            offset = value.upperBound
        }
        return (DICOMElement(vr: vr, value: start..<start, offsetTable: table, fragments: fragments), offset + 8)
    }
}
