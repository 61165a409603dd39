import Foundation

/// Why a safetensors file could not be read or written, always naming the file and, where one
/// is at fault, the tensor.
public struct SafeTensorsError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The file is shorter than its 8-byte header length or than the header it announces.
        case truncated(needed: Int, actual: Int)
        /// The announced header length is absurd (larger than the file or than 100 MB).
        case headerTooLarge(Int)
        /// The header is not a JSON object of the safetensors shape; the text says where.
        case invalidHeader(String)
        /// A tensor's dtype is not one this reader understands.
        case unsupportedDType(tensor: String, dtype: String)
        /// A tensor's byte range is inverted, outside the data section or overlaps another.
        case invalidOffsets(tensor: String, begin: Int, end: Int, dataSize: Int)
        /// A tensor's byte count does not equal its shape times its element size.
        case sizeMismatch(tensor: String, shape: [Int], dtype: String, bytes: Int)
        /// A requested tensor is not in the file.
        case missingTensor(String)
        /// A tensor holds integers where floats were asked for (or the reverse).
        case wrongKind(tensor: String, dtype: String, wanted: String)
        /// A value cannot be stored in the requested dtype (e.g. 1e6 in float16).
        case unrepresentable(tensor: String, value: Float, dtype: String)
        /// Values count does not match the shape given for writing.
        case shapeMismatch(tensor: String, shape: [Int], count: Int)
        /// Two tensors with one name were given for writing.
        case duplicateName(String)
        /// The operating system refused to read or write the file.
        case io(String)
    }

    /// The file concerned.
    public let file: String
    public let kind: Kind

    public init(file: String, kind: Kind) {
        self.file = file
        self.kind = kind
    }

    public var description: String {
        let what: String
        switch kind {
        case let .truncated(needed, actual):
            what = "truncated: needs at least \(needed) bytes, has \(actual)"
        case let .headerTooLarge(size):
            what = "corrupt: header length \(size) is larger than the file allows"
        case let .invalidHeader(reason):
            what = "corrupt header: \(reason)"
        case let .unsupportedDType(tensor, dtype):
            what = "tensor '\(tensor)' has unsupported dtype \(dtype) (supported: F32, F16, BF16; I64 is read and ignored)"
        case let .invalidOffsets(tensor, begin, end, dataSize):
            what = "tensor '\(tensor)' has invalid data offsets [\(begin), \(end)) for a data section of \(dataSize) bytes"
        case let .sizeMismatch(tensor, shape, dtype, bytes):
            what = "tensor '\(tensor)' of shape \(shape) and dtype \(dtype) cannot occupy \(bytes) bytes"
        case let .missingTensor(name):
            what = "no tensor named '\(name)'"
        case let .wrongKind(tensor, dtype, wanted):
            what = "tensor '\(tensor)' has dtype \(dtype), expected \(wanted)"
        case let .unrepresentable(tensor, value, dtype):
            what = "tensor '\(tensor)' holds \(value), which \(dtype) cannot represent"
        case let .shapeMismatch(tensor, shape, count):
            what = "tensor '\(tensor)' has \(count) values, shape \(shape) needs \(shape.reduce(1, *))"
        case let .duplicateName(name):
            what = "tensor name '\(name)' given twice"
        case let .io(reason):
            what = reason
        }
        return "\(file): \(what)"
    }

    public var errorDescription: String? { description }
}
