/// Tensor elements in the protocol's two encodings: JSON `data` (nested or flat arrays,
/// row-major) and the binary tensor data extension (little-endian, row-major, no padding;
/// a BYTES element is a 4-byte little-endian length followed by its bytes).
enum TensorCoding {
    /// The FP32 elements of JSON `data`, flattened; throws naming the input when an element
    /// is not a number or the count is not `count`.
    static func floats(fromJSON data: JSONValue, count: Int, input: String) throws(ServiceError) -> [Float] {
        var values: [Float] = []
        values.reserveCapacity(count)
        var problem: String?
        flatten(data) { element in
            guard problem == nil else { return }
            if case .number(let number) = element { values.append(Float(number)) } else { problem = "a non-number element" }
        }
        if let problem { throw .badRequest("input \"\(input)\": FP32 data holds \(problem)") }
        guard values.count == count else {
            throw .badRequest("input \"\(input)\": data holds \(values.count) elements, its shape needs \(count)")
        }
        return values
    }

    /// The BYTES elements of JSON `data` (strings, taken as their UTF-8 bytes as Triton does).
    static func bytes(fromJSON data: JSONValue, count: Int, input: String) throws(ServiceError) -> [[UInt8]] {
        var values: [[UInt8]] = []
        var problem: String?
        flatten(data) { element in
            guard problem == nil else { return }
            if case .string(let text) = element { values.append(Array(text.utf8)) } else { problem = "a non-string element" }
        }
        if let problem { throw .badRequest("input \"\(input)\": BYTES data holds \(problem)") }
        guard values.count == count else {
            throw .badRequest("input \"\(input)\": data holds \(values.count) elements, its shape needs \(count)")
        }
        return values
    }

    static func flatten(_ value: JSONValue, _ visit: (JSONValue) -> Void) {
        if case .array(let elements) = value {
            for element in elements { flatten(element, visit) }
        } else {
            visit(value)
        }
    }

    /// FP32 elements from binary data: exactly `count` × 4 bytes.
    static func floats(fromBinary bytes: ArraySlice<UInt8>, count: Int, input: String) throws(ServiceError) -> [Float] {
        guard bytes.count == count * 4 else {
            throw .badRequest("input \"\(input)\": binary data holds \(bytes.count) bytes, \(count) FP32 elements need \(count * 4)")
        }
        var values = [Float](repeating: 0, count: count)
        var offset = bytes.startIndex
        for i in 0..<count {
            let bits = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
            values[i] = Float(bitPattern: bits)
            offset += 4
        }
        return values
    }

    /// BYTES elements from binary data: `count` length-prefixed elements filling it exactly.
    static func bytes(fromBinary bytes: ArraySlice<UInt8>, count: Int, input: String) throws(ServiceError) -> [[UInt8]] {
        var values: [[UInt8]] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            guard bytes.endIndex - offset >= 4 else {
                throw .badRequest("input \"\(input)\": binary BYTES element \(values.count + 1) has a truncated length prefix")
            }
            let length = Int(UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24)
            offset += 4
            guard length <= bytes.endIndex - offset else {
                throw .badRequest("input \"\(input)\": binary BYTES element \(values.count + 1) declares \(length) bytes, "
                    + "\(bytes.endIndex - offset) remain")
            }
            values.append(Array(bytes[offset..<(offset + length)]))
            offset += length
        }
        guard values.count == count else {
            throw .badRequest("input \"\(input)\": binary data holds \(values.count) BYTES elements, its shape needs \(count)")
        }
        return values
    }

    static func binary(_ values: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            let bits = value.bitPattern
            bytes += [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                      UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)]
        }
        return bytes
    }

    static func binary(_ values: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in values {
            let utf8 = Array(value.utf8)
            let length = UInt32(utf8.count)
            bytes += [UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8),
                      UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 24)]
            bytes += utf8
        }
        return bytes
    }
}
