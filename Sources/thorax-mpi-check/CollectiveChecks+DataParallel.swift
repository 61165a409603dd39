import Distributed

extension CollectiveChecks {
    /// Sums in double: integers near 2⁴⁰ (which float32 rounds) and their sums over the ranks are exact.
    func allreduceDoubles() throws {
        func value(_ rank: Int, _ index: Int) -> Double { Double(1 << 40) + Double(1000 * rank + index) }
        var values = (0..<300).map { value(rank, $0) }
        try communicator.allreduceSum(&values)
        let expected = (0..<300).map { index in (0..<size).reduce(0.0) { $0 + value($1, index) } }
        if let index = values.indices.first(where: { values[$0] != expected[$0] }) {
            throw CheckFailure("double sum: element \(index) is \(values[index]), expected \(expected[index])")
        }
    }

    /// Buckets under `.sum`: the gradients come back summed, not divided by the ranks.
    func summedGradientBuckets() throws {
        let sizes = [3, 70, 2]
        let buckets = try GradientBuckets(parameterSizes: sizes, bucketBytes: 256, operation: .sum, communicator: communicator)
        let gradients = sizes.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0) }
        defer { gradients.forEach { $0.deallocate() } }
        for (parameter, gradient) in gradients.enumerated() {
            for index in gradient.indices { gradient[index] = pattern(rank: rank, index: index + parameter) }
        }
        for parameter in sizes.indices.reversed() { try buckets.markReady(parameter, gradient: gradients[parameter]) }
        try buckets.finish()
        for (parameter, gradient) in gradients.enumerated() {
            try expect(Array(gradient), gradient.indices.map { Float(rankSum * (($0 + parameter) % 7 + 1)) },
                       "summed gradient of parameter \(parameter)")
        }
    }

    /// A duplicate's collectives never match the original's: rank 0 starts a non-blocking
    /// allreduce on the duplicate before a blocking one on the original, the other ranks after
    /// it, and both still give their own sums.
    func duplicateSeparatesCollectives() throws {
        let duplicate = try communicator.duplicate()
        try expect(duplicate.rank, rank, "rank of the duplicate")
        try expect(duplicate.size, size, "size of the duplicate")
        var blocking = [Float(rank + 1)]
        let values = (0..<1000).map { pattern(rank: rank, index: $0) }
        let nonBlocking: ArrayAllreduceRequest
        if rank == 0 {
            nonBlocking = try duplicate.startAllreduce(values, .sum)
            try communicator.allreduce(&blocking, .sum)
        } else {
            try communicator.allreduce(&blocking, .sum)
            nonBlocking = try duplicate.startAllreduce(values, .sum)
        }
        try expect(blocking, [Float(rankSum)], "blocking sum on the original")
        try expect(try nonBlocking.wait(), (0..<1000).map { Float(rankSum * ($0 % 7 + 1)) }, "non-blocking sum on the duplicate")
    }

    /// The lowest failing rank is found on every rank; none failing gives nil.
    func lowestFailingRank() throws {
        try expect(try communicator.lowestRank(where: false), nil, "no rank failed")
        try expect(try communicator.lowestRank(where: rank >= size - 2 && rank > 0), max(1, size - 2), "ranks from \(max(1, size - 2)) failed")
        try expect(try communicator.lowestRank(where: true), 0, "every rank failed")
    }
}
