internal import CDNNL

extension Tensor {
    /// A tensor's logical shape and how its elements lie in memory: plain row-major, channels
    /// last, channel-blocked (oneDNN's nChw8c, nChw16c: what convolutions prefer on AVX2 and
    /// AVX-512), a layout a primitive chose, or a part of another tensor's layout (a view).
    ///
    /// Layers never build layouts beyond the first three: the kernels choose the rest and tell
    /// them apart by equality. Two layouts are equal when shape, blocking, strides and offset are.
    public struct Layout: Equatable, Sendable, CustomStringConvertible {
        /// The oneDNN memory descriptor (a C struct of plain values, hence Sendable).
        let descriptor: dnnl_memory_desc_t

        init(_ descriptor: dnnl_memory_desc_t) { self.descriptor = descriptor }

        /// Dense row-major order (nchw for 4 dimensions, nc for 2, x for 1).
        /// - Throws: `TensorError.invalidArgument` for an empty shape, more than 6 dimensions or
        ///   a dimension below 1.
        public static func plain(_ shape: [Int]) throws -> Layout { Layout(try MemoryDescriptor.plain(shape)) }

        /// A 4-D (N, C, H, W) layout with channels in blocks of `block` (8: nChw8c, 16: nChw16c),
        /// padded with zeros to a whole block.
        /// - Throws: `TensorError.invalidArgument` for another rank or block size.
        public static func channelBlocked(_ shape: [Int], block: Int = 16) throws -> Layout {
            Layout(try MemoryDescriptor.channelBlocked(shape, block: block))
        }

        /// A 4-D (N, C, H, W) layout stored as (N, H, W, C) (nhwc).
        public static func channelsLast(_ shape: [Int]) throws -> Layout {
            guard shape.count == 4 else { throw TensorError.invalidArgument("channels-last needs a 4-D shape, got \(shape)") }
            return Layout(try MemoryDescriptor.tagged(shape, dnnl_nhwc))
        }

        /// The logical dimensions, outermost first.
        public var shape: [Int] { MemoryDescriptor.shape(of: descriptor) }

        /// Whether the layout is dense row-major (no blocking, no padding, no offset).
        public var isPlain: Bool { MemoryDescriptor.isPlain(descriptor) }

        /// Bytes a tensor in this layout occupies, padding of blocked layouts included.
        public var byteCount: Int { MemoryDescriptor.byteCount(descriptor) }

        /// The channel block of a layout blocked over dimension 1 only (16 for nChw16c, 8 for
        /// nChw8c), or nil for plain layouts and any other blocking.
        public var channelBlock: Int? { MemoryDescriptor.channelBlock(of: descriptor) }

        /// Floats from one index of the outermost dimension to the next, for a strided or blocked
        /// layout (nil for the opaque layouts some primitives choose).
        public var outermostStride: Int? {
            guard descriptor.format_kind == dnnl_blocked else { return nil }
            return MemoryDescriptor.leading(1, of: descriptor.format_desc.blocking.strides)[0]
        }

        /// The part of a tensor in this layout that starts at `offsets` and has `shape` (a
        /// sub-memory view: same strides, so only kernels may read and write it; in a blocked
        /// layout the blocked dimension must start and end on block boundaries).
        /// - Throws: `TensorError.oneDNN` when the part does not fit or cuts through a block.
        public func part(shape: [Int], offsets: [Int]) throws -> Layout {
            Layout(try MemoryDescriptor.part(of: descriptor, shape: shape, offsets: offsets))
        }

        /// "plain" or the blocking, e.g. "blocked(strides 480,1,96,16; inner 16@1)".
        public var description: String { MemoryDescriptor.layoutName(descriptor) }

        public static func == (a: Layout, b: Layout) -> Bool { MemoryDescriptor.equal(a.descriptor, b.descriptor) }
    }
}
