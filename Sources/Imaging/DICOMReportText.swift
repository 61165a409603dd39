import Foundation

/// The text of a DICOM SR document (Basic Text, Enhanced or Comprehensive SR) as a radiology
/// report: the TEXT content items under the FINDINGS and IMPRESSION concept names (DCM 121070,
/// 121073; LOINC 59776-5, 19005-8; or those code meanings), each section's items joined by
/// newlines in document order; when no item stands under either name, every TEXT item as one
/// unnamed section. With the identifiers that link the report to its study.
public struct DICOMReportText: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        /// "FINDINGS" or "IMPRESSION"; nil for the whole text of a document without them.
        public var name: String?
        public var text: String
    }

    public var sopInstanceUID: String?
    public var studyInstanceUID: String?
    public var accessionNumber: String?
    public var sections: [Section]
}

extension DICOMFile {
    /// The report text of the SR document `data` (see `DICOMReportText`).
    /// - Throws: `ImagingError` naming the file when it is not Part 10, is corrupt, is over
    ///   `limits` (sequence depth, inflated size), or holds no TEXT content item with a value
    ///   (not an SR document, or one without text).
    public static func reportText(_ data: Data, name: String, limits: ImagingLimits = .standard) throws -> DICOMReportText {
        let read = try dataElements(data, name: name, implicitVR: { group, element in
            // The sequences a report's text lies in, for implicit-VR files of defined lengths.
            group == 0x0040 && [0xA730, 0xA043, 0xA168, 0xA504].contains(element) ? "SQ" : nil
        }, limits: limits)
        let latin1 = read.usesLatin1
        func text(_ elements: [DICOMDataElement], _ group: UInt16, _ element: UInt16) -> String? {
            guard case .bytes(let bytes)? = elements.first(where: { $0.group == group && $0.element == element })?.value else { return nil }
            let value = DICOMFile.string(bytes, 0..<bytes.count, latin1: latin1)
                .trimmingCharacters(in: CharacterSet(charactersIn: " \0").union(.newlines))
            return value.isEmpty ? nil : value
        }
        func items(_ elements: [DICOMDataElement], _ group: UInt16, _ element: UInt16) -> [[DICOMDataElement]] {
            guard case .items(let items)? = elements.first(where: { $0.group == group && $0.element == element })?.value else { return [] }
            return items
        }
        /// FINDINGS or IMPRESSION when an item's concept name is one of them.
        func section(_ item: [DICOMDataElement]) -> String? {
            guard let concept = items(item, 0x0040, 0xA043).first else { return nil }
            let code = text(concept, 0x0008, 0x0100)
            let meaning = text(concept, 0x0008, 0x0104)?.lowercased()
            if code == "121070" || code == "59776-5" || meaning == "findings" || meaning == "finding" { return "FINDINGS" }
            if code == "121073" || code == "19005-8" || meaning == "impression" || meaning == "impressions" { return "IMPRESSION" }
            return nil
        }
        var named: [(name: String, text: String)] = []
        var all: [String] = []
        func walk(_ content: [[DICOMDataElement]], under parent: String?, depth: Int) {
            guard depth <= limits.maximumSequenceDepth else { return }
            for item in content {
                let name = section(item) ?? parent
                if text(item, 0x0040, 0xA040) == "TEXT", let value = text(item, 0x0040, 0xA160) {
                    all.append(value)
                    if let name { named.append((name, value)) }
                }
                walk(items(item, 0x0040, 0xA730), under: name, depth: depth + 1)
            }
        }
        walk(items(read.elements, 0x0040, 0xA730), under: nil, depth: 1)
        guard !all.isEmpty else {
            throw ImagingError(file: name, reason: "no TEXT content item with a value: not an SR report, or one without text")
        }
        var sections: [DICOMReportText.Section] = []
        for (name, value) in named {
            if let index = sections.firstIndex(where: { $0.name == name }) {
                sections[index].text += "\n" + value
            } else {
                sections.append(.init(name: name, text: value))
            }
        }
        if sections.isEmpty { sections = [.init(name: nil, text: all.joined(separator: "\n"))] }
        return DICOMReportText(sopInstanceUID: text(read.elements, 0x0008, 0x0018), studyInstanceUID: text(read.elements, 0x0020, 0x000D),
                               accessionNumber: text(read.elements, 0x0008, 0x0050), sections: sections)
    }
}
