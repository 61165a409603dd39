/// One node of an SR content tree (PS3.3 C.17.3): its relationship to its parent, concept
/// name, value and children. `dataSet` gives the attributes of its Content Sequence item.
struct ContentItem: Sendable {
    /// PS3.3 C.17.3.2.4 relationship types.
    enum Relationship: String, Sendable {
        case contains = "CONTAINS"
        case hasObservationContext = "HAS OBS CONTEXT"
        case hasConceptModifier = "HAS CONCEPT MOD"
        case selectedFrom = "SELECTED FROM"
    }

    /// The value types the results use (PS3.3 Table C.17.3-7).
    enum Value: Sendable {
        /// A container; `template` is the TID it follows (Content Template Sequence).
        case container(continuous: Bool, template: String?)
        case text(String)
        case code(CodedConcept)
        case number(Double, unit: CodedConcept)
        case uidReference(String)
        case image(sopClassUID: String, sopInstanceUID: String)
        /// SCOORD: image pixel coordinates (column, row) with (0, 0) the top-left corner of
        /// the top-left pixel (PS3.3 C.18.6.1.1).
        case spatialCoordinates(graphicType: String, points: [(x: Float, y: Float)])
    }

    var relationship: Relationship?
    var name: CodedConcept?
    var value: Value
    var children: [ContentItem] = []

    init(_ relationship: Relationship?, _ name: CodedConcept?, _ value: Value, children: [ContentItem] = []) {
        self.relationship = relationship
        self.name = name
        self.value = value
        self.children = children
    }

    /// The item's attributes; the root (no relationship) returns only the document content
    /// attributes, which the caller merges into the top-level data set.
    var dataSet: DataSet {
        var item = DataSet()
        if let relationship {
            item.set(ElementTag(0x0040, 0xA010), .codeString, relationship.rawValue)
        }
        if let name {
            item.set(ElementTag(0x0040, 0xA043), items: [name.item])
        }
        switch value {
        case .container(let continuous, let template):
            item.set(ElementTag(0x0040, 0xA040), .codeString, "CONTAINER")
            item.set(ElementTag(0x0040, 0xA050), .codeString, continuous ? "CONTINUOUS" : "SEPARATE")
            if let template {
                var reference = DataSet()
                reference.set(ElementTag(0x0008, 0x0105), .codeString, "DCMR")
                reference.set(ElementTag(0x0040, 0xDB00), .codeString, template)
                item.set(ElementTag(0x0040, 0xA504), items: [reference])
            }
        case .text(let text):
            item.set(ElementTag(0x0040, 0xA040), .codeString, "TEXT")
            item.set(ElementTag(0x0040, 0xA160), .unlimitedText, text)
        case .code(let code):
            item.set(ElementTag(0x0040, 0xA040), .codeString, "CODE")
            item.set(ElementTag(0x0040, 0xA168), items: [code.item])
        case .number(let number, let unit):
            item.set(ElementTag(0x0040, 0xA040), .codeString, "NUM")
            var measured = DataSet()
            measured.set(ElementTag(0x0040, 0x08EA), items: [unit.item])
            let decimal = ContentItem.decimalString(number)
            measured.set(ElementTag(0x0040, 0xA30A), .decimalString, decimal)
            // A DS holds at most 16 characters; Floating Point Value keeps the exact number
            // when the DS cannot (PS3.3 Table C.18.1-1, type 1C).
            if Double(decimal) != number {
                measured.set(DataElement(ElementTag(0x0040, 0xA161), .floatingPointDouble, .doubles([number])))
            }
            item.set(ElementTag(0x0040, 0xA300), items: [measured])
        case .uidReference(let uid):
            item.set(ElementTag(0x0040, 0xA040), .codeString, "UIDREF")
            item.set(ElementTag(0x0040, 0xA124), .uniqueIdentifier, uid)
        case .image(let sopClassUID, let sopInstanceUID):
            item.set(ElementTag(0x0040, 0xA040), .codeString, "IMAGE")
            var reference = DataSet()
            reference.set(ElementTag(0x0008, 0x1150), .uniqueIdentifier, sopClassUID)
            reference.set(ElementTag(0x0008, 0x1155), .uniqueIdentifier, sopInstanceUID)
            item.set(ElementTag(0x0008, 0x1199), items: [reference])
        case .spatialCoordinates(let graphicType, let points):
            item.set(ElementTag(0x0040, 0xA040), .codeString, "SCOORD")
            item.set(DataElement(ElementTag(0x0070, 0x0022), .floatingPointSingle, .floats(points.flatMap { [$0.x, $0.y] })))
            item.set(ElementTag(0x0070, 0x0023), .codeString, graphicType)
        }
        if !children.isEmpty {
            item.set(ElementTag(0x0040, 0xA730), items: children.map(\.dataSet))
        }
        return item
    }

    /// A DS of at most 16 characters: nine significant digits, which round-trips a Float.
    static func decimalString(_ value: Double) -> String {
        var text = String(format: "%.9g", value)
        if text.count > 16 { text = String(format: "%.6g", value) }
        return text
    }
}
