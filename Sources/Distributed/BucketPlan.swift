/// How a model's gradients are packed into flat buckets for allreduce, as in PyTorch's
/// DistributedDataParallel: parameters in the order their gradients become final (reverse
/// layer order) fill one bucket after another, so the first buckets can be reduced while
/// backward still computes the rest.
///
/// A bucket takes parameters while they fit in `bucketBytes`; a parameter that would overflow
/// it starts the next bucket, and one larger than `bucketBytes` gets a bucket of its own. The
/// buckets lie one after another in one flat float buffer of `totalCount` elements.
public struct BucketPlan: Equatable, Sendable {
    /// PyTorch DDP's default bucket size, 25 MiB.
    public static let defaultBucketBytes = 25 * 1024 * 1024

    /// The parameters' element counts, in the order given.
    public let parameterSizes: [Int]
    /// Per bucket, the indices of its parameters (consecutive).
    public let buckets: [Range<Int>]
    /// Per bucket, its elements in the flat buffer.
    public let bucketElements: [Range<Int>]
    /// Per parameter, its bucket.
    public let bucketOfParameter: [Int]
    /// Per parameter, its elements in the flat buffer.
    public let parameterElements: [Range<Int>]

    /// The number of floats in all buckets together.
    public var totalCount: Int { bucketElements.last?.upperBound ?? 0 }

    /// Plans buckets for `parameterSizes` (element counts, each ≥ 1, in reverse layer order).
    /// Throws for a size below 1 (naming the parameter) or `bucketBytes` below one float.
    public init(parameterSizes: [Int], bucketBytes: Int = BucketPlan.defaultBucketBytes) throws(DistributedError) {
        let floatBytes = MemoryLayout<Float>.size
        guard bucketBytes >= floatBytes else {
            throw .invalid("BucketPlan", "bucket size is \(bucketBytes) bytes; it must hold at least one float (\(floatBytes) bytes)")
        }
        if let bad = parameterSizes.firstIndex(where: { $0 < 1 }) {
            throw .invalid("BucketPlan", "parameter \(bad) has \(parameterSizes[bad]) elements; every parameter needs at least 1")
        }
        let capacity = bucketBytes / floatBytes
        var buckets: [Range<Int>] = []
        var bucketElements: [Range<Int>] = []
        var bucketOfParameter: [Int] = []
        var parameterElements: [Range<Int>] = []
        var first = 0, start = 0, end = 0  // the open bucket: parameters first..<index, elements start..<end
        for (index, size) in parameterSizes.enumerated() {
            if index > first && end - start + size > capacity {
                buckets.append(first..<index)
                bucketElements.append(start..<end)
                first = index
                start = end
            }
            bucketOfParameter.append(buckets.count)
            parameterElements.append(end..<end + size)
            end += size
        }
        if first < parameterSizes.count {
            buckets.append(first..<parameterSizes.count)
            bucketElements.append(start..<end)
        }
        self.parameterSizes = parameterSizes
        self.buckets = buckets
        self.bucketElements = bucketElements
        self.bucketOfParameter = bucketOfParameter
        self.parameterElements = parameterElements
    }
}
