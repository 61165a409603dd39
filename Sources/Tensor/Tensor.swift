internal import CDNNL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A float32 tensor in oneDNN memory: its logical shape (NCHW order for images), its layout
/// (plain row-major or one of oneDNN's blocked layouts such as nChw16c: `Tensor.Layout`) and a
/// 64-byte aligned buffer it owns.
///
/// Inside a network tensors stay in the layout the primitives prefer; `toArray()` and
/// `init(shape:values:)` convert to and from plain row-major order at the edges. Layers own the
/// tensors they return and overwrite them on their next call (buffers are allocated once per
/// shape and reused): copy what must outlive that.
public final class Tensor {
    /// Logical dimensions, outermost first: (N, C, H, W) for images, (N, F) for features.
    public let shape: [Int]
    /// The shape plus how the elements lie in the buffer.
    public let layout: Layout
    /// The oneDNN memory object bound to this tensor's buffer.
    let memory: dnnl_memory_t
    /// Start of the buffer; `byteCount` bytes, padding of blocked layouts included.
    public let data: UnsafeMutableRawPointer
    public let byteCount: Int
    /// Bytes actually allocated (≥ byteCount when the buffer was recycled from a larger tensor).
    private let capacity: Int
    /// Whether the layout is dense row-major, so element i of the flat logical order is at index i.
    public let isPlain: Bool
    /// The tensor whose buffer this one views (kept alive by this reference), or nil when it owns its buffer.
    public let base: Tensor?
    /// The primitive `accumulate(_:)` used last, kept for the next call.
    var accumulator: Accumulator?

    /// Number of logical elements (product of the shape).
    public var count: Int { shape.reduce(1, *) }

    /// The oneDNN memory descriptor of `layout`, for the kernels.
    var descriptor: dnnl_memory_desc_t { layout.descriptor }

    /// A tensor in the given layout, zero-filled unless `zeroed` is false — for outputs a kernel
    /// overwrites entirely; the padding of blocked layouts is zeroed anyway. Its buffer comes
    /// from and returns to a pool of recycled buffers.
    /// - Throws: `TensorError.invalidArgument` when the buffer cannot be allocated.
    public convenience init(layout: Layout, zeroed: Bool = true) throws {
        try self.init(descriptor: layout.descriptor, zeroed: zeroed)
    }

    /// A tensor with the given oneDNN descriptor (see `init(layout:zeroed:)`).
    init(descriptor: dnnl_memory_desc_t, zeroed: Bool = true) throws {
        var descriptor = descriptor
        let shape = MemoryDescriptor.shape(of: descriptor)
        let bytes = max(dnnl_memory_desc_get_size(&descriptor), 4)
        guard let (raw, capacity) = BufferPool.shared.acquire(bytes) else {
            throw TensorError.invalidArgument("could not allocate \(bytes) bytes for a tensor of shape \(shape)")
        }
        precondition(capacity >= bytes, "BufferPool handed out \(capacity) bytes for \(bytes)")
        // `bytes` bytes, within the buffer (checked above): padding of blocked layouts is zeroed.
        if zeroed || bytes != shape.reduce(1, *) * MemoryLayout<Float>.stride { memset(raw, 0, bytes) }
        var memory: dnnl_memory_t?
        let status = dnnl_memory_create(&memory, &descriptor, Context.shared.engine, raw)
        if status != dnnl_success {
            BufferPool.shared.release(raw, capacity: capacity)
            throw TensorError.oneDNN(call: "dnnl_memory_create(\(shape))", status: Int(status.rawValue))
        }
        self.shape = shape
        self.layout = Layout(descriptor)
        self.memory = memory!
        self.data = raw
        self.byteCount = bytes
        self.capacity = capacity
        self.isPlain = MemoryDescriptor.isPlain(descriptor)
        self.base = nil
    }

    /// A view of `base`'s buffer in another layout of the same byte size, e.g. a plain
    /// (O, I, kH, kW) weight seen as plain (G, O/G, I/G, kH, kW) for grouped convolution.
    /// - Throws: `TensorError.shapeMismatch` when the byte sizes differ.
    public convenience init(viewing base: Tensor, as layout: Layout) throws {
        var descriptor = layout.descriptor
        let bytes = dnnl_memory_desc_get_size(&descriptor)
        guard bytes == base.byteCount else {
            throw TensorError.shapeMismatch("cannot view a tensor of shape \(base.shape) (\(base.byteCount) bytes) as shape \(MemoryDescriptor.shape(of: descriptor)) (\(bytes) bytes)")
        }
        try self.init(sharing: base, descriptor: descriptor, isPlain: MemoryDescriptor.isPlain(descriptor), byteCount: base.byteCount)
    }

    /// A view of the first bytes of `base`'s buffer in `layout`, which may need fewer bytes
    /// than `base` holds — so tests can fill the bytes after it and see whether a primitive
    /// writes past the end of its output.
    /// - Throws: `TensorError.shapeMismatch` when `layout` needs more bytes than `base` has.
    convenience init(leadingBytesOf base: Tensor, as layout: Layout) throws {
        var descriptor = layout.descriptor
        let bytes = dnnl_memory_desc_get_size(&descriptor)
        guard bytes <= base.byteCount else {
            throw TensorError.shapeMismatch("cannot view \(base.byteCount) bytes as shape \(MemoryDescriptor.shape(of: descriptor)) (\(bytes) bytes)")
        }
        try self.init(sharing: base, descriptor: descriptor, isPlain: MemoryDescriptor.isPlain(descriptor), byteCount: bytes)
    }

    /// A view of a part of `base` (`layout` is `base.layout.part(shape:offsets:)`, whose offset
    /// is inside the layout). Only kernels should read or write it: `data` and `byteCount` are base's.
    public convenience init(partOf base: Tensor, layout: Layout) throws {
        try self.init(sharing: base, descriptor: layout.descriptor, isPlain: false, byteCount: base.byteCount)
    }

    /// A view of a part of `base` described by a sub-memory descriptor of base's (see `init(partOf:layout:)`).
    convenience init(partOf base: Tensor, descriptor: dnnl_memory_desc_t) throws {
        try self.init(sharing: base, descriptor: descriptor, isPlain: false, byteCount: base.byteCount)
    }

    private init(sharing base: Tensor, descriptor: dnnl_memory_desc_t, isPlain: Bool, byteCount: Int) throws {
        var descriptor = descriptor
        var memory: dnnl_memory_t?
        try checkDNNL(dnnl_memory_create(&memory, &descriptor, Context.shared.engine, base.data), "dnnl_memory_create(view)")
        self.shape = MemoryDescriptor.shape(of: descriptor)
        self.layout = Layout(descriptor)
        self.memory = memory!
        self.data = base.data
        self.byteCount = byteCount
        self.capacity = 0
        self.isPlain = isPlain
        self.base = base
    }

    deinit {
        dnnl_memory_destroy(memory)
        if base == nil { BufferPool.shared.release(data, capacity: capacity) }
    }

    /// A zero-filled plain (row-major) tensor.
    /// - Throws: `TensorError.invalidArgument` for an empty shape or a dimension below 1.
    public convenience init(zeros shape: [Int]) throws {
        try self.init(descriptor: MemoryDescriptor.plain(shape))
    }

    /// A plain tensor holding `values` in row-major order.
    /// - Throws: `TensorError.shapeMismatch` when `values.count` is not the product of `shape`.
    public convenience init(shape: [Int], values: [Float]) throws {
        try self.init(zeros: shape)
        guard values.count == count else {
            throw TensorError.shapeMismatch("\(values.count) values given for a tensor of shape \(shape) (\(count) elements)")
        }
        // `count` floats, checked by `floats(count:)` (a plain tensor of `shape` holds exactly that many).
        values.withUnsafeBufferPointer { floats(count: count).update(from: $0.baseAddress!, count: count) }
    }

    /// A plain tensor with every element equal to `value`.
    public convenience init(shape: [Int], repeating value: Float) throws {
        try self.init(zeros: shape)
        floats(count: count).update(repeating: value, count: count)
    }

    /// The values in plain row-major order of the logical shape (reordered when blocked).
    public func toArray() throws -> [Float] {
        let source = isPlain ? self : try reordered(to: .plain(shape))
        // Plain: `count` floats, in row-major order.
        return Array(UnsafeBufferPointer(start: source.floats(count: count), count: count))
    }

    /// A new tensor with the same values in another layout of the same shape.
    /// - Throws: `TensorError.oneDNN` when the shapes differ.
    public func reordered(to target: Layout) throws -> Tensor {
        let result = try Tensor(layout: target)
        try Reorder(from: layout, to: target).run(from: self, to: result)
        return result
    }

    /// Copies the values of `source` (same shape, any layout) into this tensor's layout.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public func copy(from source: Tensor) throws {
        guard source.shape == shape else {
            throw TensorError.shapeMismatch("copy from shape \(source.shape) into shape \(shape)")
        }
        // A byte copy only between whole buffers of the same size: a part view (`init(partOf:)`)
        // has its base's byte count, and equal sub-memory descriptors can sit in bases of
        // different sizes, so those go through the reorder (which copies just the part).
        if MemoryDescriptor.equal(source.descriptor, descriptor), source.byteCount == byteCount,
           MemoryDescriptor.byteCount(descriptor) == byteCount {
            data.copyMemory(from: source.data, byteCount: byteCount)
        } else {
            try Reorder(from: source.layout, to: layout).run(from: source, to: self)
        }
    }

    /// Sets every byte (padding included) to zero; for a part view (`init(partOf:)`), its base's.
    public func zero() { memset(data, 0, byteCount) }  // `byteCount` bytes: the whole buffer

    /// Reads or writes the elements of a plain tensor in row-major order.
    /// - Throws: `TensorError.invalidArgument` when the tensor is in a blocked layout.
    public func withUnsafeMutableBufferPointer<Result>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> Result) throws -> Result {
        guard isPlain else {
            throw TensorError.invalidArgument("element access needs a plain layout; tensor of shape \(shape) is \(MemoryDescriptor.layoutName(descriptor))")
        }
        // Plain: `count` floats, in row-major order.
        return try body(UnsafeMutableBufferPointer(start: floats(count: count), count: count))
    }

    /// `data` as floats, for code that reads or writes the first `count` of them in this tensor's
    /// own layout (padding included). Code that walks a buffer by hand states here how many floats
    /// its index arithmetic reaches, once per call.
    /// - Precondition: the buffer holds them, `count · 4 ≤ byteCount` (a larger count is a
    ///   mistake in the caller's size arithmetic, not bad input).
    public func floats(count: Int) -> UnsafeMutablePointer<Float> {
        precondition(count >= 0 && count <= byteCount / MemoryLayout<Float>.stride,
                     "\(count) floats needed from a tensor of \(byteCount) bytes, shape \(shape), \(layoutName)")
        return data.assumingMemoryBound(to: Float.self)
    }

    /// The layout, in words ("plain" or the blocking).
    public var layoutName: String { layout.description }
}
