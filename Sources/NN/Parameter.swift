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
    /// Told each time a backward pass has added this parameter's gradient (a data-parallel
    /// trainer starts reducing it then); nil tells no one. Weak: the observer is owned by
    /// whoever trains the model, and holds the parameters itself.
    public weak var gradientObserver: GradientObserver?

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

    /// Tells the observer that this backward pass has added to `gradient`; layers call it right
    /// after adding, on the thread that computed it.
    /// - Throws: what the observer throws.
    public func gradientComputed() throws { try gradientObserver?.gradientComputed(self) }

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

/// Learns when backward has finished a parameter's gradient for the forward it follows, as
/// PyTorch's gradient hooks do: each layer calls `Parameter.gradientComputed()` for each of its
/// trainable parameters once its backward has added to the gradient, so a data-parallel trainer
/// can start reducing the first gradients while backward computes the rest.
///
/// Called on the thread that computed the gradient: the calling thread of backward, or the
/// overlapped backward's worker for convolution weights (`OverlappedBackward`). An observer
/// that talks to other processes must hand the news to one thread; it may throw only on the
/// thread that runs backward (a throw on the worker surfaces when backward returns).
public protocol GradientObserver: AnyObject {
    func gradientComputed(_ parameter: Parameter) throws
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
