internal import CDNNL

/// y = a + b, or y = relu(a + b), over two tensors of one layout — oneDNN's binary add, with the
/// ReLU fused as an eltwise post-operation only where oneDNN 2.6 computes that fusion exactly.
///
/// Why the ReLU is not always fused: oneDNN 2.6's `jit:uni` binary kernel with an eltwise
/// post-operation walks a channel-blocked tensor in vectors of the ISA's width (16 floats on
/// AVX-512, 8 on AVX2) and mishandles channels that do not fill a whole vector. On nChw8c under
/// AVX-512 (or nChw16c under AVX2) it writes wrong values and writes past the end of the
/// destination buffer (heap corruption: a later, unrelated primitive crashes); written in place
/// over a channel-padded layout it adds `b` twice. Without a post-operation the same kernel is
/// exact on every layout, and so is a separate eltwise ReLU. `fusesReLUExactly` is the rule,
/// checked by a sweep over layouts, channel counts, in-place and both ISAs (`ElementwiseAdditionTests`).
public final class ElementwiseAddition {
    /// The layout of both inputs and of the output.
    public let layout: Tensor.Layout
    public let appliesReLU: Bool
    /// Whether the ReLU runs as the binary primitive's post-operation (else as its own pass).
    public let fusesReLU: Bool
    private let add: Primitive
    private let relu: Primitive?

    /// - Parameters:
    ///   - layout: the layout of a, b and y.
    ///   - appliesReLU: y = relu(a + b) instead of a + b.
    ///   - vectorWidth: floats per vector of oneDNN's kernels (`Context.vectorWidth`).
    /// - Throws: `TensorError.oneDNN` when oneDNN rejects the layout.
    public init(layout: Tensor.Layout, appliesReLU: Bool, vectorWidth: Int = Context.vectorWidth) throws {
        self.layout = layout
        self.appliesReLU = appliesReLU
        fusesReLU = appliesReLU && ElementwiseAddition.fusesReLUExactly(layout, vectorWidth: vectorWidth)
        var data = layout.descriptor
        var operation = dnnl_binary_desc_t()
        try checkDNNL(dnnl_binary_desc_init(&operation, dnnl_binary_add, &data, &data, &data), "dnnl_binary_desc_init(add)")
        let attributes = try PrimitiveAttributes(fusesReLU ? [.eltwise(dnnl_eltwise_relu, alpha: 0, beta: 0)] : [])
        add = try Primitive("add", operation: operation, attributes: attributes.handle)
        if appliesReLU && !fusesReLU {
            var reluOperation = dnnl_eltwise_desc_t()
            try checkDNNL(dnnl_eltwise_forward_desc_init(&reluOperation, dnnl_forward_inference, dnnl_eltwise_relu, &data, 0, 0),
                          "dnnl_eltwise_forward_desc_init(relu)")
            relu = try Primitive("relu", operation: reluOperation)
        } else {
            relu = nil
        }
    }

    /// Writes a + b (or relu(a + b)) into `output`; `output` may be `a` or `b` itself.
    /// - Throws: `TensorError.shapeMismatch` when a tensor's layout is not `layout`.
    public func run(_ a: Tensor, _ b: Tensor, into output: Tensor) throws {
        for tensor in [a, b, output] where tensor.layout != layout {
            throw TensorError.shapeMismatch("addition built for shape \(layout.shape) (\(layout)) got a tensor of shape \(tensor.shape) (\(tensor.layoutName))")
        }
        try add.execute([(DNNL_ARG_SRC_0, a), (DNNL_ARG_SRC_1, b), (DNNL_ARG_DST, output)])
        if let relu { try relu.execute([(DNNL_ARG_SRC, output), (DNNL_ARG_DST, output)]) }
    }

    /// Whether oneDNN 2.6's binary add with a fused eltwise post-operation is exact on this layout:
    /// plain row-major layouts always; a layout blocked over channels only (nChw8c, nChw16c, ...)
    /// when the channel count is a multiple of both its block and the kernel's vector width (no
    /// channel padding, no partial vector), in place or not; any other layout never (not verified).
    public static func fusesReLUExactly(_ layout: Tensor.Layout, vectorWidth: Int) -> Bool {
        if layout.isPlain { return true }
        guard let block = layout.channelBlock, layout.shape.count >= 2 else { return false }
        let channels = layout.shape[1]
        return channels % max(block, vectorWidth) == 0
    }
}
