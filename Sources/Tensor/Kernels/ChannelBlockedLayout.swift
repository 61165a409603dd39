internal import CDNNL
import Dispatch

/// The layouts the hand-written kernels read (the double-sum batch norm, the Winograd weight
/// gradient, the concatenation's slice add): (N, C, H, W) with channels in blocks of `block`
/// (1 = plain nchw, 8 = nChw8c, 16 = nChw16c), element (n, c, h, w) at
/// ((n · channelBlocks + c / block) · plane + h · W + w) · block + c % block.
struct ChannelBlockedLayout {
    let batch, channels, channelBlocks, plane, block: Int

    /// The layout of `descriptor`, or nil when it is none of the three (the caller then keeps
    /// oneDNN's float32 path).
    init?(_ descriptor: dnnl_memory_desc_t) {
        let shape = MemoryDescriptor.shape(of: descriptor)
        guard shape.count == 4 else { return nil }
        var found: Int?
        for (tag, block) in [(dnnl_abcd, 1), (dnnl_nChw8c, 8), (dnnl_nChw16c, 16)] {
            if let candidate = try? MemoryDescriptor.tagged(shape, tag), MemoryDescriptor.equal(candidate, descriptor) {
                found = block
                break
            }
        }
        guard let block = found else { return nil }
        batch = shape[0]
        channels = shape[1]
        channelBlocks = (shape[1] + block - 1) / block
        plane = shape[2] * shape[3]
        self.block = block
    }

    /// Index of the first value of image n in channel block `channelBlock`.
    @inline(__always) func offset(_ n: Int, _ channelBlock: Int) -> Int {
        ((n * channelBlocks + channelBlock) * plane) * block
    }

    /// Values per channel (N·H·W).
    var perChannel: Int { batch * plane }

    /// Floats a tensor in this layout holds, channel padding included: what the kernels reading
    /// it by `offset(_:_:)` reach, and what callers check the buffer for (`Tensor.floats(count:)`).
    var floatCount: Int { batch * channelBlocks * plane * block }

    /// Runs `body` over channel blocks split into contiguous ranges, one per oneDNN thread of the
    /// calling thread (`Context.threadCount`); inline with one.
    func forEachChannelBlockRange(_ body: (Range<Int>) -> Void) {
        let parts = min(Context.threadCount, channelBlocks)
        if parts <= 1 { return body(0 ..< channelBlocks) }
        concurrentPerform(parts: parts) { part in
            body(channelBlocks * part / parts ..< channelBlocks * (part + 1) / parts)
        }
    }
}
