import Distributed
import Foundation
import NN
#if canImport(Glibc)
import Glibc
#endif

/// Sums a model's gradients over the ranks of a data-parallel job while backward still computes
/// them, as PyTorch's DistributedDataParallel does: each trainable parameter, once its layer's
/// backward has added its gradient (`GradientObserver`), goes into a flat ~25 MB bucket
/// (`GradientBuckets`, in reverse definition order: the order backward finishes them), and a
/// full bucket's non-blocking allreduce starts at once, overlapping the rest of backward.
///
/// The gradients summed are each rank's share of the global batch's mean gradient (the loss is
/// divided by the global batch's label count), so the sum is what one process computes on the
/// whole batch, uneven shares included. With gradient accumulation, only the backward that
/// completes an optimizer step is reduced (`beginFinalBackward()`); the micro-batches before it
/// accumulate locally.
///
/// Threads: MPI is called only from the thread that runs the step (the one that calls
/// `beginFinalBackward()` and `finishStep()`). Convolution weight gradients finish on the
/// overlapped backward's worker thread; there the observer only records the parameter under a
/// lock, and the stepping thread hands what has been recorded to the buckets the next time a
/// gradient finishes on it (each batch norm's, between the convolutions), and at the end. So
/// MPI_THREAD_FUNNELED would do; `Communicator.world()` asks for MPI_THREAD_SERIALIZED.
public final class GradientReducer: GradientObserver {
    /// The trainable parameters in bucket order (reverse definition order).
    private let parameters: [Parameter]
    private let indexOf: [ObjectIdentifier: Int]
    private let buckets: GradientBuckets
    private let lock = NSLock()
    /// Under `lock`: whether the backward running now completes a step, the thread running the
    /// step, and the parameters whose gradients finished since the last hand-over.
    private var armed = false
    private var steppingThread: pthread_t?
    private var finished: [Int] = []
    /// Per parameter, whether the buckets have it this step; the stepping thread's alone.
    private var handedOver: [Bool]

    /// Plans the buckets for the trainable ones of `parameters` (definition order) and becomes
    /// their gradient observer. Collective: every rank must pass the same parameters.
    /// - Throws: `DistributedError` when the ranks' parameters differ, or MPI's error.
    public init(parameters: [Parameter], communicator: Communicator,
                bucketBytes: Int = BucketPlan.defaultBucketBytes) throws {
        let ordered = Array(parameters.filter(\.isTrainable).reversed())
        self.parameters = ordered
        indexOf = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { (ObjectIdentifier($0.element), $0.offset) })
        buckets = try GradientBuckets(parameterSizes: ordered.map(\.value.count), bucketBytes: bucketBytes,
                                      operation: .sum, communicator: communicator)
        handedOver = Array(repeating: false, count: ordered.count)
        for parameter in ordered { parameter.gradientObserver = self }
    }

    /// The bucket plan (for reports).
    public var plan: BucketPlan { buckets.plan }

    /// Says that the next backward completes an optimizer step's gradients: they are reduced as
    /// they finish. Call on the thread that runs the step, before that backward.
    public func beginFinalBackward() {
        lock.lock()
        armed = true
        steppingThread = pthread_self()
        lock.unlock()
    }

    public func gradientComputed(_ parameter: Parameter) throws {
        lock.lock()
        guard armed, let index = indexOf[ObjectIdentifier(parameter)] else {
            lock.unlock()
            return
        }
        finished.append(index)
        let onSteppingThread = steppingThread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        lock.unlock()
        if onSteppingThread { try handOver() }
    }

    /// Gives the buckets the gradients finished so far (on the stepping thread only).
    private func handOver() throws {
        lock.lock()
        let ready = finished
        finished.removeAll(keepingCapacity: true)
        lock.unlock()
        for index in ready where !handedOver[index] {
            handedOver[index] = true
            try buckets.markReady(index, gradient: gradientBuffer(index))
        }
    }

    /// After the step's last backward (or, when no backward was armed, at the step itself):
    /// hands over what is left — gradients finished on the worker since the last hand-over,
    /// and those of parameters no layer used in this step, as they are — waits for every
    /// bucket, and leaves the sums over the ranks in the parameters' gradients.
    /// - Throws: MPI's error (the ranks then disagree; end the job).
    public func finishStep() throws {
        try handOver()
        lock.lock()
        armed = false
        steppingThread = nil
        lock.unlock()
        for index in handedOver.indices where !handedOver[index] {
            handedOver[index] = true
            try buckets.markReady(index, gradient: gradientBuffer(index))
        }
        try buckets.finish()
        handedOver = Array(repeating: false, count: parameters.count)
    }

    /// Parameter `index`'s gradient: plain, row-major, its value's count of floats.
    private func gradientBuffer(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        let gradient = parameters[index].gradient
        return UnsafeMutableBufferPointer(start: gradient.floats(count: gradient.count), count: gradient.count)
    }
}

/// Sums a synchronized batch norm's values over the ranks with a blocking allreduce in double.
/// Its collectives come in the step's fixed order (each batch norm's forward, then backward),
/// so it shares the communicator of the step's other blocking reductions, not the buckets'.
public final class ReplicaBatchNormSum: BatchNormSynchronizer {
    private let communicator: Communicator
    public init(communicator: Communicator) { self.communicator = communicator }
    public func sumOverReplicas(_ values: inout [Double]) throws { try communicator.allreduceSum(&values) }
}
