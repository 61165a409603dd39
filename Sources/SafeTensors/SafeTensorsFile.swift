import Foundation

/// A safetensors file opened for reading: its header is parsed and checked completely when it
/// is opened, so that every later read is in bounds.
///
/// The format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
/// length N, N bytes of JSON mapping each tensor name to `{"dtype", "shape", "data_offsets"}`
/// (offsets relative to the data section after the header) plus an optional `__metadata__`
/// string map, then the data. Parsed by hand here because no Swift library reads it.
public struct SafeTensorsFile: Sendable {
    /// One tensor's entry in the header.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        /// Byte range inside the data section.
        public let byteRange: Range<Int>
    }

    /// The path the file was read from (used in error messages).
    public let path: String
    /// The `__metadata__` map, empty when absent.
    public let metadata: [String: String]
    /// Entries in data order.
    public let entries: [Entry]
    private let index: [String: Int]
    private let data: Data
    private let dataStart: Int

    /// Headers larger than this are treated as corrupt (the reference implementation's limit).
    static let maximumHeaderSize = 100_000_000

    /// Opens and checks `url`.
    /// - Throws: `SafeTensorsError` naming the file: truncated, corrupt header, unsupported
    ///   dtype, offsets outside the data or overlapping, size not matching shape × dtype.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw SafeTensorsError(file: path, kind: .io("cannot read: \(error.localizedDescription)"))
        }
        try self.init(data: data, path: path)
    }

    /// Parses `data` as a safetensors file; `path` names it in errors.
    public init(data: Data, path: String) throws {
        func fail(_ kind: SafeTensorsError.Kind) -> SafeTensorsError { SafeTensorsError(file: path, kind: kind) }
        guard data.count >= 8 else { throw fail(.truncated(needed: 8, actual: data.count)) }
        let headerLength64 = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength64 <= UInt64(Self.maximumHeaderSize) else {
            throw fail(.headerTooLarge(Int(clamping: headerLength64)))
        }
        let headerLength = Int(headerLength64)
        guard data.count >= 8 + headerLength else {
            throw fail(.truncated(needed: 8 + headerLength, actual: data.count))
        }
        let headerBytes = data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes)
        } catch {
            throw fail(.invalidHeader("not valid JSON"))
        }
        guard let object = json as? [String: Any] else { throw fail(.invalidHeader("not a JSON object")) }

        let dataSize = data.count - 8 - headerLength
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw fail(.invalidHeader("__metadata__ is not an object")) }
                for (key, item) in map {
                    guard let text = item as? String else {
                        throw fail(.invalidHeader("__metadata__ value for '\(key)' is not a string"))
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any] else {
                throw fail(.invalidHeader("entry '\(name)' is not an object"))
            }
            guard let dtypeName = fields["dtype"] as? String else {
                throw fail(.invalidHeader("entry '\(name)' has no dtype"))
            }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw fail(.unsupportedDType(tensor: name, dtype: dtypeName))
            }
            guard let shape = Self.integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(.invalidHeader("entry '\(name)' has no valid shape"))
            }
            guard let offsets = Self.integers(fields["data_offsets"]), offsets.count == 2 else {
                throw fail(.invalidHeader("entry '\(name)' has no valid data_offsets"))
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail(.invalidOffsets(tensor: name, begin: begin, end: end, dataSize: dataSize))
            }
            let (elements, overflow) = shape.reduce((1, false)) { partial, dimension in
                let product = partial.0.multipliedReportingOverflow(by: dimension)
                return (product.partialValue, partial.1 || product.overflow)
            }
            guard !overflow, elements.multipliedReportingOverflow(by: dtype.size).partialValue == end - begin,
                  !elements.multipliedReportingOverflow(by: dtype.size).overflow else {
                throw fail(.sizeMismatch(tensor: name, shape: shape, dtype: dtypeName, bytes: end - begin))
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, byteRange: begin ..< end))
        }
        entries.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        for (previous, next) in zip(entries, entries.dropFirst())
        where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw fail(.invalidOffsets(tensor: next.name, begin: next.byteRange.lowerBound,
                                       end: next.byteRange.upperBound, dataSize: dataSize))
        }
        self.path = path
        self.metadata = metadata
        self.entries = entries
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
        self.data = data
        self.dataStart = 8 + headerLength
    }

    /// Non-negative integers from a JSON array, or nil when it is not one.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        for item in array {
            guard let number = item as? NSNumber,
                  number.doubleValue == number.doubleValue.rounded(), number.doubleValue >= 0,
                  number.doubleValue < 9.0e15 else { return nil }
            result.append(number.intValue)
        }
        return result
    }

    /// Names of all tensors, in data order.
    public var names: [String] { entries.map(\.name) }
    /// Names of the floating-point tensors (those `tensor(_:)` returns).
    public var floatNames: [String] { entries.filter { $0.dtype.isFloatingPoint }.map(\.name) }
    /// Names of the integer tensors, which checkpoint loading reads and ignores.
    public var integerNames: [String] { entries.filter { !$0.dtype.isFloatingPoint }.map(\.name) }

    /// The header entry for `name`, or nil.
    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The tensor `name` converted to Float32 (exactly: f16 and bf16 widen without rounding).
    /// - Throws: `.missingTensor`, or `.wrongKind` for an integer tensor.
    public func tensor(_ name: String) throws -> StoredTensor {
        guard let entry = entry(name) else { throw SafeTensorsError(file: path, kind: .missingTensor(name)) }
        guard entry.dtype.isFloatingPoint else {
            throw SafeTensorsError(file: path, kind: .wrongKind(tensor: name, dtype: entry.dtype.rawValue, wanted: "a floating-point dtype"))
        }
        let count = entry.shape.reduce(1, *)
        let start = dataStart + entry.byteRange.lowerBound
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[start ..< start + entry.byteRange.count])
                switch entry.dtype {
                case .float32:
                    for i in 0 ..< count {
                        buffer[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                case .float16:
                    for i in 0 ..< count {
                        buffer[i] = Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                    }
                case .bfloat16:
                    for i in 0 ..< count {
                        buffer[i] = Float(bfloat16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    }
                case .int64:
                    break
                }
            }
            initialized = count
        }
        return StoredTensor(shape: entry.shape, values: values)
    }

    /// The integer tensor `name` (e.g. `num_batches_tracked`).
    /// - Throws: `.missingTensor`, or `.wrongKind` for a floating-point tensor.
    public func integers(_ name: String) throws -> [Int64] {
        guard let entry = entry(name) else { throw SafeTensorsError(file: path, kind: .missingTensor(name)) }
        guard entry.dtype == .int64 else {
            throw SafeTensorsError(file: path, kind: .wrongKind(tensor: name, dtype: entry.dtype.rawValue, wanted: "I64"))
        }
        let start = dataStart + entry.byteRange.lowerBound
        return data.withUnsafeBytes { raw in
            (0 ..< entry.byteRange.count / 8).map {
                Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * $0, as: Int64.self))
            }
        }
    }

    /// All floating-point tensors by name.
    public func allTensors() throws -> [String: StoredTensor] {
        var result: [String: StoredTensor] = [:]
        for name in floatNames { result[name] = try tensor(name) }
        return result
    }
}
