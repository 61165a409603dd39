import Foundation

/// One data element of a file's data set with its nested items: what a reader needs that wants
/// every attribute (the DICOM JSON model of PS3.18 F.2), not only those `DICOMMetadata` names.
public struct DICOMDataElement: Sendable, Equatable {
    public var group: UInt16
    public var element: UInt16
    /// The VR as written (explicit VR), else as the caller's dictionary gave it, else nil.
    public var vr: String?
    public var value: Value

    public enum Value: Sendable, Equatable {
        /// The value's bytes as stored, in the data set's byte order (`DICOMDataElements.littleEndian`).
        case bytes([UInt8])
        /// A value longer than the reader's inline limit (native pixel data among them): its length.
        case omitted(length: Int)
        /// A sequence: its items, each a data set.
        case items([[DICOMDataElement]])
        /// Encapsulated (compressed) pixel data; its fragments stay in the file.
        case encapsulated(fragments: Int)
    }

    public init(group: UInt16, element: UInt16, vr: String?, value: Value) {
        self.group = group
        self.element = element
        self.vr = vr
        self.value = value
    }
}

/// A file's data set read element by element, in file order.
public struct DICOMDataElements: Sendable, Equatable {
    /// The byte order of numeric values in `.bytes` (false only for Explicit VR Big Endian).
    public var littleEndian: Bool
    public var elements: [DICOMDataElement]

    /// Whether the data set's Specific Character Set (0008,0005) makes its text Latin-1
    /// (ISO_IR 100); otherwise text is ASCII or UTF-8.
    public var usesLatin1: Bool {
        guard let element = elements.first(where: { $0.group == 0x0008 && $0.element == 0x0005 }),
              case .bytes(let bytes) = element.value else { return false }
        return DICOMFile.isLatin1(DICOMFile.string(bytes, 0..<bytes.count))
    }
}

extension DICOMFile {
    /// Every element of the data set of the Part 10 file `data` (the file meta group left
    /// out), sequences read into their items, nested no deeper than
    /// `limits.maximumSequenceDepth`. Unlike `init(_:name:)` it needs no image
    /// attributes: a structured report reads as well as an image.
    ///
    /// - Parameters:
    ///   - name: the file's name in errors.
    ///   - implicitVR: for an implicit-VR file, the VR of (group, element), e.g. from a data
    ///     dictionary; "SQ" makes a value of defined length be read as items. Tags it does not
    ///     know (nil) keep a nil VR. Explicit-VR files never call it.
    ///   - inlineLimit: values longer than this many bytes are `.omitted` with their length.
    ///   - limits: the sequence depth and, for a deflated data set, the inflated size allowed.
    /// - Throws: `ImagingError` naming the file when it is not Part 10, its data set is
    ///   truncated or corrupt, or it is over `limits`.
    public static func dataElements(_ data: Data, name: String, implicitVR: (UInt16, UInt16) -> String? = { _, _ in nil },
                                    inlineLimit: Int = 1 << 16, limits: ImagingLimits = .standard) throws -> DICOMDataElements {
        let (parser, metaEnd, _) = try openDataSet(data, name: name, limits: limits)
        let members = try withoutActuallyEscaping(implicitVR) { lookup in
            try ElementWalk(implicitVR: lookup, inlineLimit: inlineLimit)
                .elements(parser, from: metaEnd, to: parser.bytes.count, stopAt: nil).0
        }
        return DICOMDataElements(littleEndian: parser.littleEndian, elements: members)
    }
}

/// Reads elements and the items of their sequences, recursively; `DICOMParser` reads the
/// headers and encapsulated fragments as it does for the top level.
struct ElementWalk {
    let implicitVR: (UInt16, UInt16) -> String?
    let inlineLimit: Int

    /// The elements from `start` to `end`, or to the `stop` tag at this level; returns them, the
    /// offset after the last one (after the stop tag when one ended them) and whether it did.
    func elements(_ parser: DICOMParser, from start: Int, to end: Int,
                  stopAt stop: DICOMTag?) throws -> ([DICOMDataElement], Int, Bool) {
        var result: [DICOMDataElement] = []
        var offset = start
        while offset < end {
            let h = try parser.header(at: offset)
            if let stop, h.tag == stop { return (result, h.valueOffset, true) }
            let vr = h.vr == "??" ? implicitVR(h.tag.group, h.tag.element) : h.vr
            var element = DICOMDataElement(group: h.tag.group, element: h.tag.element, vr: vr, value: .bytes([]))
            if h.length == 0xFFFF_FFFF {
                if h.tag == DICOMTag.pixelData && h.vr != "??" && h.vr != "SQ" {
                    let (encapsulated, next) = try parser.encapsulated(from: h.valueOffset, vr: h.vr)
                    element.value = .encapsulated(fragments: encapsulated.fragments?.count ?? 0)
                    offset = next
                } else if h.vr == "SQ" || h.vr == "??" || h.vr == "UN" {
                    // A UN of undefined length holds implicit VR little endian items (PS3.5 6.2.2).
                    let (items, next) = try self.items(parser, from: h.valueOffset, to: nil, tag: h.tag,
                                                       implicitContents: h.vr == "UN")
                    element.vr = "SQ"
                    element.value = .items(items)
                    offset = next
                } else {
                    throw parser.error("corrupt data: element \(h.tag) (\(h.vr)) has undefined length at byte \(offset)")
                }
            } else {
                let length = Int(h.length)
                guard h.valueOffset + length <= parser.bytes.count else {
                    throw parser.error("file is truncated: element \(h.tag) at byte \(offset) declares \(length) bytes, \(parser.bytes.count - h.valueOffset) remain")
                }
                if vr == "SQ" {
                    let (items, _) = try self.items(parser, from: h.valueOffset, to: h.valueOffset + length, tag: h.tag,
                                                    implicitContents: false)
                    element.value = .items(items)
                } else if length > inlineLimit {
                    element.value = .omitted(length: length)
                } else {
                    element.value = .bytes(Array(parser.bytes[h.valueOffset..<(h.valueOffset + length)]))
                }
                offset = h.valueOffset + length
            }
            result.append(element)
        }
        return (result, offset, false)
    }

    /// The items of a sequence starting at `start`: up to `end` for a defined length, else up
    /// to the sequence delimiter. Returns them and the offset after the sequence.
    func items(_ parser: DICOMParser, from start: Int, to end: Int?, tag: DICOMTag,
               implicitContents: Bool) throws -> ([[DICOMDataElement]], Int) {
        var nested = parser
        nested.depth += 1
        try parser.limits.checkSequenceDepth(nested.depth, at: tag, parser.error)
        if implicitContents { nested.explicitVR = false; nested.littleEndian = true }
        var items: [[DICOMDataElement]] = []
        var offset = start
        while true {
            if let end, offset >= end { return (items, offset) }
            let h = try nested.header(at: offset)
            if end == nil && h.tag == DICOMTag.sequenceDelimitation { return (items, h.valueOffset) }
            guard h.tag == DICOMTag.item else {
                throw parser.error("corrupt data: expected an item in sequence \(tag) at byte \(offset), found \(h.tag)")
            }
            if h.length == 0xFFFF_FFFF {
                let (members, next, delimited) = try elements(nested, from: h.valueOffset, to: nested.bytes.count,
                                                              stopAt: DICOMTag.itemDelimitation)
                guard delimited else { throw parser.error("file is truncated: an item of sequence \(tag) has no item delimiter") }
                items.append(members)
                offset = next
            } else {
                let itemEnd = h.valueOffset + Int(h.length)
                guard itemEnd <= nested.bytes.count, end.map({ itemEnd <= $0 }) ?? true else {
                    throw parser.error("file is truncated: an item of sequence \(tag) at byte \(offset) runs past its end")
                }
                let (members, _, _) = try elements(nested, from: h.valueOffset, to: itemEnd, stopAt: nil)
                items.append(members)
                offset = itemEnd
            }
        }
    }
}

extension DICOMFile {
    /// The Transfer Syntax UID (0002,0010) of the Part 10 file `data`.
    /// - Throws: `ImagingError` naming the file when it is not Part 10, its meta information
    ///   lacks the transfer syntax, or a deflated data set inflates past `limits`.
    public static func transferSyntax(_ data: Data, name: String, limits: ImagingLimits = .standard) throws -> String {
        try openDataSet(data, name: name, limits: limits).2
    }
}
