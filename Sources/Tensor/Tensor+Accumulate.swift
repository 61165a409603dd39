import CDNNL

extension Tensor {
    /// self += other, element by element over the logical shape; the layouts may differ.
    ///
    /// Same layouts run as oneDNN's sum primitive in place (a vectorized pass); different layouts
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

/// target += source as one oneDNN primitive: an in-place sum for equal layouts, else a reorder
/// with a sum post-operation.
final class Accumulator {
    let source: dnnl_memory_desc_t
    private let sum: Primitive?
    private let reorder: Reorder?

    init(from source: dnnl_memory_desc_t, into target: dnnl_memory_desc_t) throws {
        self.source = source
        if MemoryDescriptor.equal(source, target) {
            var descriptors = [target, source]
            var destination = target
            let scales: [Float] = [1, 1]
            var descriptor: dnnl_primitive_desc_t?
            try checkDNNL(dnnl_sum_primitive_desc_create(&descriptor, &destination, 2, scales, &descriptors, nil, Context.shared.engine),
                          "dnnl_sum_primitive_desc_create")
            sum = try Primitive("sum", descriptor: descriptor!)
            reorder = nil
        } else {
            sum = nil
            reorder = try Reorder(from: source, to: target, accumulate: true)
        }
    }

    func run(_ other: Tensor, into target: Tensor) throws {
        if let sum {
            try sum.execute([(DNNL_ARG_MULTIPLE_SRC, target), (DNNL_ARG_MULTIPLE_SRC + 1, other), (DNNL_ARG_DST, target)])
        } else {
            try reorder!.run(from: other, to: target)
        }
    }
}
