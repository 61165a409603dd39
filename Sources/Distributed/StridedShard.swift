/// One rank's share of a global batch, taken by stride: rank r of n takes the batch's
/// positions r, r + n, r + 2n, … The shares of ranks 0..<n are disjoint and together are the
/// whole batch, so n ranks see exactly the samples one process would.
///
/// When n does not divide the batch, the first `count % n` ranks take one sample more. Their
/// per-rank mean gradients are then not equally weighted: rank r's carries the weight
/// `count(inBatchOf: B) / B` in the global mean.
public struct StridedShard: Equatable, Sendable {
    public let rank: Int
    public let size: Int

    /// Throws unless `size` ≥ 1 and `rank` is in `0..<size`.
    public init(rank: Int, size: Int) throws(DistributedError) {
        guard size >= 1 else { throw .invalid("StridedShard", "size is \(size); it must be at least 1") }
        guard (0..<size).contains(rank) else {
            throw .invalid("StridedShard", "rank \(rank) is outside 0..<\(size)")
        }
        self.init(uncheckedRank: rank, size: size)
    }

    init(uncheckedRank rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// The positions of this rank's share in a batch of `count` samples, in order.
    public func positions(inBatchOf count: Int) -> StrideTo<Int> {
        stride(from: rank, to: max(count, 0), by: size)
    }

    /// How many samples of a batch of `count` this rank takes: ⌈(count − rank) / size⌉, or 0.
    public func count(inBatchOf count: Int) -> Int {
        count > rank ? (count - rank + size - 1) / size : 0
    }

    /// This rank's share of `batch` (sample indices, say), in batch order.
    public func share<Element>(of batch: [Element]) -> [Element] {
        positions(inBatchOf: batch.count).map { batch[$0] }
    }
}
