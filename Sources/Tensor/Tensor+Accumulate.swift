internal import CDNNL

extension Tensor {
    /// self += other, element by element over the logical shape; the layouts may differ.
    ///
    /// Same layouts run as oneDNN's binary add in place (a JIT-vectorized pass); different layouts
    /// as a reorder with a sum post-operation. The primitive is kept on this tensor for the next
    /// call with the same source layout.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public func accumulate(_ other: Tensor) throws {
        guard other.shape == shape else {
            throw TensorError.shapeMismatch("cannot add a tensor of shape \(other.shape) into one of shape \(shape)")
        }
        if let cached = accumulator, MemoryDescriptor.equal(cached.source, other.descriptor) {
            try cached.run(other, into: self)
            return
        }
        let made = try Accumulator(from: other.descriptor, into: descriptor)
        accumulator = made
        try made.run(other, into: self)
    }
}

/// target += source as one oneDNN primitive: an in-place binary add for equal layouts (oneDNN 2.6's
/// sum primitive has only a generic implementation for blocked layouts), else a reorder with a sum
/// post-operation.
final class Accumulator {
    let source: dnnl_memory_desc_t
    private let sum: Primitive?
    private let reorder: Reorder?

    init(from source: dnnl_memory_desc_t, into target: dnnl_memory_desc_t) throws {
        self.source = source
        if MemoryDescriptor.equal(source, target) {
            var data = target
            var operation = dnnl_binary_desc_t()
            try checkDNNL(dnnl_binary_desc_init(&operation, dnnl_binary_add, &data, &data, &data), "dnnl_binary_desc_init(add)")
            sum = try Primitive("in-place add", operation: operation)
            reorder = nil
        } else {
            sum = nil
            reorder = try Reorder(from: source, to: target, accumulate: true)
        }
    }

    func run(_ other: Tensor, into target: Tensor) throws {
        if let sum {
            try sum.execute([(DNNL_ARG_SRC_0, target), (DNNL_ARG_SRC_1, other), (DNNL_ARG_DST, target)])
        } else {
            try reorder!.run(from: other, to: target)
        }
    }
}
