internal import CDNNL

/// Builders and queries for oneDNN memory descriptors (the shape + layout of a tensor), for the
/// kernels; layers see them as `Tensor.Layout`.
enum MemoryDescriptor {
    /// A dense row-major descriptor (nchw for 4 dimensions, nc for 2, x for 1).
    static func plain(_ shape: [Int]) throws -> dnnl_memory_desc_t {
        try tagged(shape, plainTag(rank: shape.count))
    }

    /// A descriptor with the given format tag; `dnnl_format_tag_any` lets a primitive choose.
    static func tagged(_ shape: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        guard !shape.isEmpty, shape.count <= 6, shape.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidArgument("tensor shape \(shape) must have 1 to 6 positive dimensions")
        }
        var descriptor = dnnl_memory_desc_t()
        let dims = shape.map { Int64($0) }
        try checkDNNL(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims, dnnl_f32, tag),
                      "dnnl_memory_desc_init_by_tag(\(shape))")
        return descriptor
    }

    /// A 4-D (N, C, H, W) descriptor in oneDNN's channel-blocked layout nChw16c (block 16) or
    /// nChw8c (block 8) — what convolutions prefer on AVX-512 and AVX2.
    /// - Throws: `TensorError.invalidArgument` for another rank or block size.
    static func channelBlocked(_ shape: [Int], block: Int = 16) throws -> dnnl_memory_desc_t {
        guard shape.count == 4, block == 16 || block == 8 else {
            throw TensorError.invalidArgument("channel-blocked layouts need a 4-D shape and block 8 or 16, got \(shape), \(block)")
        }
        return try tagged(shape, block == 16 ? dnnl_nChw16c : dnnl_nChw8c)
    }

    /// A descriptor that lets the primitive choose the layout.
    static func any(_ shape: [Int]) throws -> dnnl_memory_desc_t { try tagged(shape, dnnl_format_tag_any) }

    static func plainTag(rank: Int) -> dnnl_format_tag_t {
        switch rank {
        case 1: return dnnl_a
        case 2: return dnnl_ab
        case 3: return dnnl_abc
        case 4: return dnnl_abcd
        case 5: return dnnl_abcde
        default: return dnnl_abcdef
        }
    }

    /// The logical dimensions of a descriptor.
    static func shape(of descriptor: dnnl_memory_desc_t) -> [Int] {
        leading(Int(descriptor.ndims), of: descriptor.dims)
    }

    /// The first `count` entries of a `dnnl_dims_t` (a C array of DNNL_MAX_NDIMS = 12 Int64,
    /// imported as a tuple), e.g. `dims` or `blocking.strides` with count `ndims`.
    /// - Precondition: `count` is within the array (oneDNN keeps ndims and inner_nblks ≤ 12).
    static func leading(_ count: Int, of array: dnnl_dims_t) -> [Int] {
        withUnsafeBytes(of: array) { raw in
            precondition(count >= 0 && count * MemoryLayout<Int64>.stride <= raw.count,
                         "\(count) entries asked of a dnnl_dims_t of \(raw.count) bytes")
            return (0 ..< count).map { Int(raw.load(fromByteOffset: $0 * MemoryLayout<Int64>.stride, as: Int64.self)) }
        }
    }

    /// Whether two descriptors describe the same shape and layout.
    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// Whether a descriptor is dense row-major (no blocking, no padding).
    static func isPlain(_ descriptor: dnnl_memory_desc_t) -> Bool {
        guard let reference = try? plain(shape(of: descriptor)) else { return false }
        return equal(descriptor, reference)
    }

    /// Bytes a tensor with this descriptor occupies (padding of blocked layouts included).
    static func byteCount(_ descriptor: dnnl_memory_desc_t) -> Int {
        var descriptor = descriptor
        return dnnl_memory_desc_get_size(&descriptor)
    }

    /// A short human-readable layout name: "plain" or the inner blocks, e.g. "blocked(16@1)".
    static func layoutName(_ descriptor: dnnl_memory_desc_t) -> String {
        if isPlain(descriptor) { return "plain" }
        let blocking = descriptor.format_desc.blocking
        let strides = leading(Int(descriptor.ndims), of: blocking.strides).map(String.init).joined(separator: ",")
        let innerBlocks = leading(Int(blocking.inner_nblks), of: blocking.inner_blks)
        let innerIndices = leading(Int(blocking.inner_nblks), of: blocking.inner_idxs)
        let blocks = zip(innerBlocks, innerIndices).map { "\($0)@\($1)" }.joined(separator: ",")
        return "blocked(strides \(strides); inner \(blocks))"
    }
}

extension MemoryDescriptor {
    /// The part of a `parent` tensor that starts at `offsets` and has `shape` (a sub-memory
    /// descriptor: the parent's strides, the offset inside the descriptor).
    /// - Throws: `TensorError.oneDNN` when the part does not fit the parent or cuts through a block.
    static func part(of parent: dnnl_memory_desc_t, shape: [Int], offsets: [Int]) throws -> dnnl_memory_desc_t {
        guard shape.count <= 12, offsets.count <= 12 else {
            throw TensorError.invalidArgument("a part of at most 12 dimensions, got shape \(shape) and offsets \(offsets)")
        }
        var parent = parent
        var result = dnnl_memory_desc_t()
        // dnnl_dims_t holds DNNL_MAX_NDIMS (12) entries, which oneDNN reads through these arrays.
        var dimensions = [Int64](repeating: 0, count: 12)
        var starts = [Int64](repeating: 0, count: 12)
        for (index, size) in shape.enumerated() { dimensions[index] = Int64(size) }
        for (index, start) in offsets.enumerated() { starts[index] = Int64(start) }
        try checkDNNL(dnnl_memory_desc_init_submemory(&result, &parent, &dimensions, &starts),
                      "dnnl_memory_desc_init_submemory(\(shape) at \(offsets))")
        return result
    }

    /// The channel block of a layout blocked over dimension 1 only (16 for nChw16c, 8 for
    /// nChw8c), or nil for plain layouts and any other blocking.
    static func channelBlock(of descriptor: dnnl_memory_desc_t) -> Int? {
        guard descriptor.format_kind == dnnl_blocked else { return nil }
        let blocking = descriptor.format_desc.blocking
        guard blocking.inner_nblks == 1 else { return nil }
        let (block, index) = (leading(1, of: blocking.inner_blks)[0], leading(1, of: blocking.inner_idxs)[0])
        return index == 1 ? block : nil
    }
}
