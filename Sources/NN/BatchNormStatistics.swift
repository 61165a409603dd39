/// Which statistics a batch norm in training mode normalizes with; a choice each
/// `BatchNorm2d` carries (`Module.setBatchNormStatistics(_:)` sets it on a whole model).
public enum BatchNormStatistics {
    /// The batch's own, as `torch.nn.BatchNorm2d`; in a data-parallel job each replica's share
    /// of the batch, as PyTorch's DistributedDataParallel does. The default.
    case batch
    /// The whole batch's over every replica of a data-parallel step, as `torch.nn.SyncBatchNorm`:
    /// the per-channel moments of forward and the two sums of backward are summed by the
    /// synchronizer, so N replicas compute what one process computes on the whole batch (up to
    /// the order of double-precision sums). Reads plain, nChw8c and nChw16c activations.
    case synchronized(BatchNormSynchronizer)
    /// The running statistics, as in evaluation, which stay as they are; γ and β still train
    /// (a frozen batch norm, as fine-tuning with small batches often uses). Every replica then
    /// normalizes alike, whatever its share of the batch.
    case frozen
}

/// Sums a synchronized batch norm's per-channel values over the replicas of a data-parallel
/// step. Every replica calls it from the thread that runs forward and backward, at the same
/// points (each batch norm's forward and backward in training) and in the same order.
public protocol BatchNormSynchronizer: AnyObject {
    /// Replaces `values` with their elementwise sum over every replica.
    func sumOverReplicas(_ values: inout [Double]) throws
}

/// The synchronizer of a single process: its sums are already the whole batch's. With it a
/// one-process run computes exactly as each replica of a synchronized data-parallel run does.
public final class SingleReplica: BatchNormSynchronizer {
    public init() {}
    public func sumOverReplicas(_ values: inout [Double]) throws {}
}

extension Module {
    /// Sets `statistics` on every batch norm of this module and its descendants.
    public func setBatchNormStatistics(_ statistics: BatchNormStatistics) {
        forEachModule { ($0 as? BatchNorm2d)?.statistics = statistics }
    }
}
