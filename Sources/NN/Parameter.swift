import Random
import Tensor

/// A learnable tensor of a layer and the gradient accumulated for it.
///
/// Value and gradient are plain row-major tensors of the same shape (torchvision's layout, so
/// checkpoints load and optimizers update element by element); layers reorder the value into
/// the layout their primitives want on each forward pass. Gradients accumulate over backward
/// calls until `zeroGradient()`.
public final class Parameter {
    public let value: Tensor
    public let gradient: Tensor
    /// Whether backward computes this parameter's gradient and optimizers update it.
    public var isTrainable: Bool

    /// A parameter holding `values` (row-major) of the given shape, gradient zero.
    /// - Throws: `TensorError.shapeMismatch` when the value count does not fit the shape.
    public init(shape: [Int], values: [Float], isTrainable: Bool = true) throws {
        value = try Tensor(shape: shape, values: values)
        gradient = try Tensor(zeros: shape)
        self.isTrainable = isTrainable
    }

    public var shape: [Int] { value.shape }

    /// Sets the accumulated gradient to zero.
    public func zeroGradient() { gradient.zero() }

    /// Replaces the value with `values` in row-major order.
    /// - Throws: `TensorError.shapeMismatch` when the count differs.
    public func setValues(_ values: [Float]) throws {
        try value.withUnsafeMutableBufferPointer { buffer in
            guard values.count == buffer.count else {
                throw TensorError.shapeMismatch("\(values.count) values for a parameter of shape \(shape)")
            }
            for index in values.indices { buffer[index] = values[index] }
        }
    }
}

extension SplitMix64 {
    /// The generator of weight initialization and dropout masks for `seed`, so runs repeat.
    /// The offset keeps the streams the layers have always drawn for a given seed.
    init(layerSeed seed: UInt64) { self.init(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

    /// U(−bound, bound) values: the initialization PyTorch gives convolution and linear layers is
    /// kaiming_uniform with a = √5, which is U(−1/√fanIn, 1/√fanIn).
    mutating func values(count: Int, bound: Float) -> [Float] {
        (0..<count).map { _ in (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * bound }
    }
}
