internal import CDNNL

/// A reorder that multiplies as it copies: to[i] = scale[k(i)] · from[i], where k(i) is the index
/// of element i along the dimensions selected by `mask` (bit d set: one factor per index of
/// logical dimension d, in row-major order over the selected dimensions). The factors are given
/// on every run (oneDNN's runtime output scales), so one primitive serves changing values.
///
/// Used to fold a batch norm into convolution weights while they are reordered into the
/// convolution's layout (mask 1 << 0 for (O, I, kH, kW), 0b11 for grouped (G, O/G, I/G, kH, kW)).
final class ScaledReorder {
    let source: dnnl_memory_desc_t
    let destination: dnnl_memory_desc_t
    /// How many factors `run` takes: the product of the dimensions `mask` selects.
    let scaleCount: Int
    private let primitive: Primitive

    /// - Throws: `TensorError.invalidArgument` for a mask naming no or a missing dimension;
    ///   `TensorError.oneDNN` when oneDNN has no reorder for the pair of layouts with scales.
    init(from source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t, mask: Int32) throws {
        var source = source, destination = destination
        self.source = source
        self.destination = destination
        let shape = MemoryDescriptor.shape(of: destination)
        guard mask > 0, mask < (1 << shape.count) else {
            throw TensorError.invalidArgument("ScaledReorder mask \(mask) does not select dimensions of shape \(shape)")
        }
        scaleCount = shape.indices.filter { mask & (1 << $0) != 0 }.map { shape[$0] }.reduce(1, *)
        let attributes = try PrimitiveAttributes([])
        // DNNL_RUNTIME_F32_VAL is a union constant in dnnl_types.h (bits 0x7fc000d0) that Swift
        // cannot import; the count is 1 for runtime scales.
        var runtime = Float(bitPattern: 0x7fc0_00d0)
        try checkDNNL(dnnl_primitive_attr_set_output_scales(attributes.handle, 1, mask, &runtime),
                      "dnnl_primitive_attr_set_output_scales")
        let engine = Context.shared.engine
        var descriptor: dnnl_primitive_desc_t?
        try checkDNNL(dnnl_reorder_primitive_desc_create(&descriptor, &source, engine, &destination, engine, attributes.handle),
                      "dnnl_reorder_primitive_desc_create(scaled, \(shape))")
        primitive = try Primitive("scaled reorder", descriptor: descriptor!)
    }

    /// Writes the scaled copy of `from` into `to`.
    /// - Parameter scales: a plain tensor of `scaleCount` factors.
    /// - Throws: `TensorError.shapeMismatch` for a wrong number of factors.
    func run(from: Tensor, to: Tensor, scales: Tensor) throws {
        guard scales.count == scaleCount else {
            throw TensorError.shapeMismatch("ScaledReorder needs \(scaleCount) scales, got \(scales.count)")
        }
        try primitive.execute([(DNNL_ARG_FROM, from), (DNNL_ARG_TO, to), (Int32(DNNL_ARG_ATTR_OUTPUT_SCALES), scales)])
    }
}
