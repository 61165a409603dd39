import CDNNL

extension Tensor {
    /// self += other, element by element over the logical shape; the layouts may differ.
    /// Runs as a oneDNN reorder with a sum post-operation; the primitive is kept on this tensor
    /// for the next call with the same source layout.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public func accumulate(_ other: Tensor) throws {
        guard other.shape == shape else {
            throw TensorError.shapeMismatch("cannot add a tensor of shape \(other.shape) into one of shape \(shape)")
        }
        if let cached = accumulateReorder, MemoryDescriptor.equal(cached.source, other.descriptor) {
            try cached.run(from: other, to: self)
            return
        }
        let reorder = try Reorder(from: other.descriptor, to: descriptor, accumulate: true)
        accumulateReorder = reorder
        try reorder.run(from: other, to: self)
    }
}
