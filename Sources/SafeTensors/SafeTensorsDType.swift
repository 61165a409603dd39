/// The element types of the safetensors format that Thorax reads or writes.
///
/// Floating types are converted to Float32 on reading. Integer tensors (PyTorch's
/// `num_batches_tracked` is an I64 scalar) are read and kept apart so that checkpoints load
/// as they are, but they never become network parameters.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int64 = "I64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32: return 4
        case .float16, .bfloat16: return 2
        case .int64: return 8
        }
    }

    /// Whether values of this dtype become `Float`s on reading.
    public var isFloatingPoint: Bool { self != .int64 }
}

/// The dtypes a writer may produce.
public enum SafeTensorsStorage: Sendable {
    case float32
    case float16

    var dtype: SafeTensorsDType { self == .float32 ? .float32 : .float16 }
}

extension Float {
    /// The Float32 value of a bfloat16 bit pattern: bfloat16 is the upper half of a Float32,
    /// so widening is exact (a shift; no library converts it in Swift).
    @inline(__always)
    init(bfloat16Bits bits: UInt16) {
        self = Float(bitPattern: UInt32(bits) << 16)
    }
}
