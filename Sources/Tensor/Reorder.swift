internal import CDNNL

/// A reorder primitive between two layouts of the same shape, optionally accumulating
/// (`to = to + from`) through a sum post-operation.
public final class Reorder {
    public let source: Tensor.Layout
    public let destination: Tensor.Layout
    let primitive: Primitive

    /// - Throws: `TensorError.oneDNN` when the shapes differ or oneDNN has no such reorder.
    public convenience init(from source: Tensor.Layout, to destination: Tensor.Layout, accumulate: Bool = false) throws {
        try self.init(from: source.descriptor, to: destination.descriptor, accumulate: accumulate)
    }

    init(from source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t, accumulate: Bool = false) throws {
        var source = source, destination = destination
        self.source = Tensor.Layout(source)
        self.destination = Tensor.Layout(destination)
        let engine = Context.shared.engine
        let attributes = try PrimitiveAttributes(accumulate ? [.sum(scale: 1)] : [])
        var descriptor: dnnl_primitive_desc_t?
        try checkDNNL(dnnl_reorder_primitive_desc_create(&descriptor, &source, engine, &destination, engine, attributes.handle),
                      "dnnl_reorder_primitive_desc_create(\(MemoryDescriptor.shape(of: source)))")
        primitive = try Primitive("reorder", descriptor: descriptor!)
    }

    /// Writes (or adds) `from`'s values into `to`, which have the layouts the reorder was made for.
    public func run(from: Tensor, to: Tensor) throws {
        try primitive.execute([(DNNL_ARG_FROM, from), (DNNL_ARG_TO, to)])
    }
}

/// Brings incoming tensors into one layout a primitive wants: passes them through when they
/// already have it and otherwise reorders into a buffer kept for the next call.
public final class LayoutAdapter {
    public let target: Tensor.Layout
    private var reorder: Reorder?
    private var buffer: Tensor?

    public init(target: Tensor.Layout) { self.target = target }

    convenience init(target: dnnl_memory_desc_t) { self.init(target: Tensor.Layout(target)) }

    /// `tensor` itself when its layout is the target, else its values reordered into the target
    /// (a buffer this adapter keeps and overwrites on its next call).
    public func adapt(_ tensor: Tensor) throws -> Tensor {
        if tensor.layout == target { return tensor }
        if reorder == nil || reorder!.source != tensor.layout {
            reorder = try Reorder(from: tensor.layout, to: target)
        }
        if buffer == nil { buffer = try Tensor(layout: target) }
        try reorder!.run(from: tensor, to: buffer!)
        return buffer!
    }
}

/// Gives a plain weight tensor in the layout a primitive wants: the weight itself when the
/// layouts agree, else a reordered copy made on every call (optimizers change the weights
/// between steps) in a pooled buffer, so layers of equal shape share the memory.
final class WeightAdapter {
    let target: dnnl_memory_desc_t
    private var reorder: Reorder?

    init(target: dnnl_memory_desc_t) { self.target = target }

    func adapt(_ plain: Tensor) throws -> Tensor {
        if MemoryDescriptor.equal(plain.descriptor, target) { return plain }
        if reorder == nil { reorder = try Reorder(from: plain.descriptor, to: target) }
        let buffer = try Tensor(descriptor: target, zeroed: false)
        try reorder!.run(from: plain, to: buffer)
        return buffer
    }
}
