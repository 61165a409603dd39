/// Averages (or sums) gradients over the ranks bucket by bucket while backward still runs, as PyTorch
/// DistributedDataParallel's reducer does.
///
/// Each step, backward calls `markReady(_:gradient:)` for every parameter as soon as its
/// gradient is final; the gradient is copied into its bucket, and a bucket whose parameters are
/// all in starts a non-blocking allreduce. `finish()` waits for all of them and writes the
/// reduced gradients (averaged, or summed: `operation`) back into the buffers given to
/// `markReady`. Buckets start strictly in plan order — every rank must start the same
/// collectives in the same order — so a bucket completed early waits for the ones before it.
///
/// MPI only advances a non-blocking reduction inside an MPI call on this rank; each
/// `markReady` tests the reductions in flight, which moves them on between backward's layers.
///
/// After a thrown error the step's state is undefined and the ranks disagree on what was
/// started: end the job (`Communicator.abortingOnError`) rather than go on.
public final class GradientBuckets {
    public let plan: BucketPlan
    /// How the ranks' gradients combine: `.average` when each rank's is the mean over its own
    /// samples and the shares are equal; `.sum` when each rank's is already weighted by its
    /// share of the global batch (its loss divided by the global count), so that the sum is
    /// exactly the one-process gradient also for uneven shares.
    public let operation: ReduceOperation
    private let communicator: Communicator
    /// The buckets, one after another: `plan.totalCount` floats.
    private let storage: UnsafeMutableBufferPointer<Float>
    /// Per parameter, where its reduced gradient goes; nil until marked ready in this step.
    private var destinations: [UnsafeMutableBufferPointer<Float>?]
    /// Per bucket, how many of its parameters are not yet marked in this step.
    private var unmarked: [Int]
    /// The first bucket not yet started in this step.
    private var nextBucket = 0
    private var requests: [AllreduceRequest] = []

    /// Plans the buckets (`BucketPlan`) and checks, collectively, that every rank planned the
    /// same ones. Throws for invalid sizes, or on every rank when the ranks' plans differ.
    public init(parameterSizes: [Int], bucketBytes: Int = BucketPlan.defaultBucketBytes,
                operation: ReduceOperation = .average, communicator: Communicator) throws(DistributedError) {
        let plan = try BucketPlan(parameterSizes: parameterSizes, bucketBytes: bucketBytes)
        var weighted: Int64 = 0  // Σ (index + 1) · size: differs when sizes are reordered
        for (index, size) in parameterSizes.enumerated() { weighted &+= Int64(index + 1) &* Int64(size) }
        let fingerprint = [Int64(parameterSizes.count), Int64(plan.totalCount), Int64(plan.buckets.count), weighted]
        let ranges = try communicator.extremes(of: fingerprint, "GradientBuckets")
        if ranges.contains(where: { $0.minimum != $0.maximum }) {
            throw communicator.failure("GradientBuckets", "the ranks planned different buckets (parameters \(ranges[0].minimum)…\(ranges[0].maximum), floats \(ranges[1].minimum)…\(ranges[1].maximum), buckets \(ranges[2].minimum)…\(ranges[2].maximum)); every rank must pass the same parameter sizes and bucket size")
        }
        self.plan = plan
        self.operation = operation
        self.communicator = communicator
        storage = .allocate(capacity: plan.totalCount)
        storage.initialize(repeating: 0)
        destinations = Array(repeating: nil, count: parameterSizes.count)
        unmarked = plan.buckets.map(\.count)
    }

    /// Copies parameter `parameter`'s final `gradient` into its bucket, starts the allreduce of
    /// every bucket now complete (in plan order), and lets those in flight progress.
    /// `gradient` must stay allocated until `finish()`, which overwrites it with the reduction.
    /// Throws for an index outside the plan, a gradient of the wrong size, a parameter marked
    /// twice in one step, or MPI's error.
    public func markReady(_ parameter: Int, gradient: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        guard plan.parameterSizes.indices.contains(parameter) else {
            throw communicator.failure("GradientBuckets.markReady", "parameter \(parameter) is outside the plan's 0..<\(plan.parameterSizes.count)")
        }
        guard gradient.count == plan.parameterSizes[parameter] else {
            throw communicator.failure("GradientBuckets.markReady", "parameter \(parameter) has \(plan.parameterSizes[parameter]) elements, its gradient \(gradient.count)")
        }
        guard destinations[parameter] == nil else {
            throw communicator.failure("GradientBuckets.markReady", "parameter \(parameter) was marked ready twice in one step")
        }
        let elements = plan.parameterElements[parameter]
        _ = UnsafeMutableBufferPointer(rebasing: storage[elements]).update(fromContentsOf: gradient)
        destinations[parameter] = gradient
        unmarked[plan.bucketOfParameter[parameter]] -= 1
        for request in requests where !request.isComplete { try request.test() }
        while nextBucket < plan.buckets.count && unmarked[nextBucket] == 0 {
            let bucket = UnsafeMutableBufferPointer(rebasing: storage[plan.bucketElements[nextBucket]])
            requests.append(try communicator.startAllreduce(bucket, operation))
            nextBucket += 1
        }
    }

    /// Waits for every bucket's allreduce, writes the reduced gradients back into the buffers
    /// given to `markReady`, and readies the buckets for the next step. Throws when a parameter
    /// was not marked ready in this step (naming it), or MPI's error.
    public func finish() throws(DistributedError) {
        let missing = destinations.indices.filter { destinations[$0] == nil }
        if !missing.isEmpty {
            let shown = missing.prefix(10).map(String.init).joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
            throw communicator.failure("GradientBuckets.finish", "\(missing.count) parameters were not marked ready in this step: \(shown)")
        }
        for request in requests { try request.wait() }
        for (parameter, destination) in destinations.enumerated() {
            guard let destination else { continue }
            _ = destination.update(fromContentsOf: storage[plan.parameterElements[parameter]])
        }
        destinations = Array(repeating: nil, count: plan.parameterSizes.count)
        unmarked = plan.buckets.map(\.count)
        nextBucket = 0
        requests = []
    }

    deinit {
        requests = []  // each waits in its deinit if still in flight, before the storage goes
        storage.deallocate()
    }
}
