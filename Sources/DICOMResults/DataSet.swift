/// A DICOM data set being built: elements by tag, written in tag order.
public struct DataSet: Sendable, Equatable {
    public private(set) var elements: [ElementTag: DataElement] = [:]

    public init() {}

    /// The elements in the order PS3.5 7.1 requires (ascending tag).
    public var sortedElements: [DataElement] {
        elements.values.sorted { $0.tag < $1.tag }
    }

    public subscript(tag: ElementTag) -> DataElement? {
        elements[tag]
    }

    /// Sets (or replaces) an element.
    public mutating func set(_ element: DataElement) {
        elements[element.tag] = element
    }

    /// Sets a text element with one value; `nil` writes it empty (a type 2 attribute
    /// whose value is unknown).
    public mutating func set(_ tag: ElementTag, _ representation: ValueRepresentation, _ text: String?) {
        set(DataElement(tag, representation, .strings(text.map { [$0] } ?? [])))
    }

    /// Sets a text element with several values.
    public mutating func set(_ tag: ElementTag, _ representation: ValueRepresentation, values: [String]) {
        set(DataElement(tag, representation, .strings(values)))
    }

    /// Sets an unsigned short (US) element.
    public mutating func set(_ tag: ElementTag, unsignedShort value: UInt16) {
        set(DataElement(tag, .unsignedShort, .unsignedShorts([value])))
    }

    /// Sets a sequence (SQ) element; an empty array writes an empty sequence.
    public mutating func set(_ tag: ElementTag, items: [DataSet]) {
        set(DataElement(tag, .sequence, .items(items)))
    }
}
