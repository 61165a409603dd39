/// A named tensor's shape and values as Float32, row-major (PyTorch's contiguous order) —
/// what a safetensors file holds, independent of any compute layout.
public struct StoredTensor: Equatable, Sendable {
    /// Dimensions, outermost first; `[]` for a scalar.
    public var shape: [Int]
    /// `shape.reduce(1, *)` values in row-major order.
    public var values: [Float]

    /// Creates a tensor; `values.count` must equal the product of `shape` (checked on writing).
    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// Number of elements the shape describes.
    public var elementCount: Int { shape.reduce(1, *) }
}
