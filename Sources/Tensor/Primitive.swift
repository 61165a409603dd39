internal import CDNNL

/// A oneDNN operation descriptor (`dnnl_convolution_desc_t`, ...): `Primitive` hands a pointer
/// to one to `dnnl_primitive_desc_create`, which reads as many bytes as the descriptor kind in its
/// first field names, so only these C structs may be passed.
protocol OperationDescriptor {}
extension dnnl_convolution_desc_t: OperationDescriptor {}
extension dnnl_eltwise_desc_t: OperationDescriptor {}
extension dnnl_batch_normalization_desc_t: OperationDescriptor {}
extension dnnl_inner_product_desc_t: OperationDescriptor {}
extension dnnl_pooling_v2_desc_t: OperationDescriptor {}
extension dnnl_binary_desc_t: OperationDescriptor {}

/// One oneDNN primitive with its primitive descriptor, created once for a shape and attributes
/// and executed many times. Layers keep the primitives they build and rebuild them only when the
/// input's shape or layout changes.
final class Primitive {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t

    /// Creates a primitive from an operation descriptor (`dnnl_convolution_desc_t`, ...).
    /// - Parameters:
    ///   - operation: the initialized operation descriptor.
    ///   - attributes: primitive attributes (post-ops), or nil.
    ///   - hint: the forward primitive, for backward primitives.
    /// - Throws: `TensorError.oneDNN` when oneDNN has no implementation or rejects the arguments.
    convenience init<Operation: OperationDescriptor>(_ name: String, operation: Operation, attributes: dnnl_primitive_attr_t? = nil,
                                       hint: Primitive? = nil) throws {
        var operation = operation
        var descriptor: dnnl_primitive_desc_t?
        // Without attributes: empty ones, which still select the user-provided scratchpad.
        let defaults = attributes == nil ? try PrimitiveAttributes([]) : nil
        // A whole operation descriptor of the kind its first field names (see OperationDescriptor).
        try withUnsafePointer(to: &operation) { pointer in
            try checkDNNL(dnnl_primitive_desc_create(&descriptor, UnsafeRawPointer(pointer), attributes ?? defaults!.handle,
                                                     Context.shared.engine, hint?.descriptor),
                          "dnnl_primitive_desc_create(\(name))")
        }
        try self.init(name, descriptor: descriptor!)
    }

    /// Wraps an already created primitive descriptor (reorder, sum, concat) and takes ownership of it.
    init(_ name: String, descriptor: dnnl_primitive_desc_t) throws {
        var primitive: dnnl_primitive_t?
        let status = dnnl_primitive_create(&primitive, descriptor)
        if status != dnnl_success {
            dnnl_primitive_desc_destroy(descriptor)
            throw TensorError.oneDNN(call: "dnnl_primitive_create(\(name))", status: Int(status.rawValue))
        }
        self.descriptor = descriptor
        self.primitive = primitive!
        self.name = name
        argumentBytes = Dictionary(uniqueKeysWithValues: Primitive.boundArguments.map { ($0, Primitive.bytes(of: $0, in: descriptor)) })
        var scratchpad = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0)?.pointee ?? dnnl_memory_desc_t()
        scratchpadDescriptor = scratchpad
        scratchpadBytes = scratchpad.ndims == 0 ? 0 : dnnl_memory_desc_get_size(&scratchpad)
    }

    /// The scratchpad the primitive needs at execution (attributes select the user-provided
    /// scratchpad: see `PrimitiveAttributes`); 0 bytes when none.
    private let scratchpadDescriptor: dnnl_memory_desc_t
    private let scratchpadBytes: Int
    /// What the primitive computes ("convolution forward", ...), for messages.
    private let name: String
    /// Bytes the primitive addresses for each argument Thorax binds (0 for one it has not),
    /// queried once here instead of on every `execute`.
    private let argumentBytes: [Int32: Int]

    /// The `DNNL_ARG_*` indices Thorax's layers bind; `execute` queries any other one when used.
    private static let boundArguments: [Int32] = [
        DNNL_ARG_SRC, DNNL_ARG_SRC_1, DNNL_ARG_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE,
        DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS,
        DNNL_ARG_DIFF_BIAS, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT,
    ]

    /// Bytes the primitive described by `descriptor` addresses for `argument` (0 when it has none).
    private static func bytes(of argument: Int32, in descriptor: dnnl_primitive_desc_t) -> Int {
        guard var expected = dnnl_primitive_desc_query_md(descriptor, dnnl_query_exec_arg_md, argument)?.pointee,
              expected.ndims != 0 else { return 0 }
        return dnnl_memory_desc_get_size(&expected)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// The memory descriptor the primitive wants for one of its arguments
    /// (`dnnl_query_src_md`, `dnnl_query_diff_weights_md`, `dnnl_query_workspace_md`, ...).
    /// An empty descriptor (ndims 0) when the primitive has no such argument.
    func memoryDescriptor(_ query: dnnl_query_t, index: Int = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptor, query, Int32(index))?.pointee ?? dnnl_memory_desc_t()
    }

    /// The name of the implementation oneDNN picked, e.g. "jit:avx512_core".
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success,
              let name else { return "unknown" }
        return String(cString: name)
    }

    /// Runs the primitive on the calling thread's stream (`Context.currentStream`) and waits for it.
    /// - Parameter arguments: pairs of a `DNNL_ARG_*` index and the tensor bound to it.
    /// - Precondition: each tensor's buffer holds the bytes the primitive addresses for its
    ///   argument (layers bring tensors into the layouts their primitives were made for; oneDNN
    ///   reads and writes by the primitive's descriptor, not the memory object's, so a smaller
    ///   buffer would be overrun).
    func execute(_ arguments: [(Int32, Tensor)]) throws {
        for (argument, tensor) in arguments {
            let bytes = argumentBytes[argument] ?? Primitive.bytes(of: argument, in: descriptor)
            precondition(bytes <= tensor.byteCount,
                         "\(name): argument \(argument) needs \(bytes) bytes, tensor of shape \(tensor.shape) has \(tensor.byteCount)")
        }
        var args = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
        let context = Context.shared
        var scratchpad: dnnl_memory_t?
        if scratchpadBytes > 0 {
            // The thread's scratchpad holds at least `scratchpadBytes`, the size of this descriptor.
            var descriptor = scratchpadDescriptor
            try checkDNNL(dnnl_memory_create(&scratchpad, &descriptor, context.engine,
                                             context.scratchpadOfThisThread(bytes: scratchpadBytes)),
                          "dnnl_memory_create(scratchpad)")
            args.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad))
        }
        defer { if let scratchpad { dnnl_memory_destroy(scratchpad) } }
        let stream = context.currentStream
        try checkDNNL(dnnl_primitive_execute(primitive, stream, Int32(args.count), &args), "dnnl_primitive_execute")
        try checkDNNL(dnnl_stream_wait(stream), "dnnl_stream_wait")
    }
}

/// Primitive attributes built from a list of post-operations, with the user-provided scratchpad
/// selected; owns the C handles.
final class PrimitiveAttributes {
    let handle: dnnl_primitive_attr_t

    /// Post-operations applied to a primitive's result, in order.
    enum PostOperation {
        /// dst = eltwise(dst) with the given algorithm and alpha, beta.
        case eltwise(dnnl_alg_kind_t, alpha: Float, beta: Float)
        /// dst = result + scale · previous dst (accumulate into the destination).
        case sum(scale: Float)
    }

    init(_ postOperations: [PostOperation]) throws {
        var attributes: dnnl_primitive_attr_t?
        try checkDNNL(dnnl_primitive_attr_create(&attributes), "dnnl_primitive_attr_create")
        handle = attributes!
        // oneDNN 2.6's own scratchpad belongs to the thread that created the primitive, which then
        // must not run on another thread; the user-provided one (`Primitive.execute` passes the
        // executing thread's) lets `OverlappedBackward` run primitives on its worker thread.
        try checkDNNL(dnnl_primitive_attr_set_scratchpad_mode(handle, dnnl_scratchpad_mode_user),
                      "dnnl_primitive_attr_set_scratchpad_mode")
        guard !postOperations.isEmpty else { return }
        var ops: dnnl_post_ops_t?
        try checkDNNL(dnnl_post_ops_create(&ops), "dnnl_post_ops_create")
        defer { dnnl_post_ops_destroy(ops) }
        for operation in postOperations {
            switch operation {
            case .eltwise(let algorithm, let alpha, let beta):
                try checkDNNL(dnnl_post_ops_append_eltwise(ops, 1, algorithm, alpha, beta), "dnnl_post_ops_append_eltwise")
            case .sum(let scale):
                try checkDNNL(dnnl_post_ops_append_sum(ops, scale), "dnnl_post_ops_append_sum")
            }
        }
        try checkDNNL(dnnl_primitive_attr_set_post_ops(handle, ops), "dnnl_primitive_attr_set_post_ops")
    }

    deinit { dnnl_primitive_attr_destroy(handle) }
}
