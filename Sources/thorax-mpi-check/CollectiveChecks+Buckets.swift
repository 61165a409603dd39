import Distributed

extension CollectiveChecks {
    /// Seven parameters in 16-float buckets — [5] [12 3] [20] [7 1] [9] — over two steps. Rank 0
    /// marks them in order, the others in reverse, so buckets complete in different orders on
    /// different ranks and must still start in plan order.
    func gradientBuckets() throws {
        let sizes = [5, 12, 3, 20, 7, 1, 9]
        let buckets = try GradientBuckets(parameterSizes: sizes, bucketBytes: 64, communicator: communicator)
        try expect(buckets.plan.buckets, [0..<1, 1..<3, 3..<4, 4..<6, 6..<7], "bucket plan")
        let gradients = sizes.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0) }
        defer { gradients.forEach { $0.deallocate() } }
        // Element j of parameter p in step s on rank r: (r + 1) · (s + 1) · (100p + j).
        func value(_ rank: Int, _ step: Int, _ parameter: Int, _ index: Int) -> Int {
            (rank + 1) * (step + 1) * (100 * parameter + index)
        }
        for step in 0..<2 {
            for (parameter, gradient) in gradients.enumerated() {
                for index in gradient.indices { gradient[index] = Float(value(rank, step, parameter, index)) }
            }
            let order = rank == 0 ? Array(sizes.indices) : sizes.indices.reversed()
            for parameter in order { try buckets.markReady(parameter, gradient: gradients[parameter]) }
            try buckets.finish()
            for (parameter, gradient) in gradients.enumerated() {
                let expected = gradient.indices.map { Float(rankSum * value(0, step, parameter, $0)) / Float(size) }
                try expect(Array(gradient), expected, "step \(step), averaged gradient of parameter \(parameter)")
            }
        }
    }

    /// A root outside the communicator: MPI itself refuses it (MPI_ERR_ROOT), and the error
    /// comes back on every rank naming it and the MPI function; the communicator still works.
    func mpiErrorNamesRankAndCall() throws {
        var values: [Float] = [1, 2]
        let error = try expectError("broadcast from root \(size)") { try communicator.broadcast(&values, root: size) }
        try expect(error.rank, rank, "rank in the error")
        try expect(error.size, size, "size in the error")
        try expect(error.call, "MPI_Bcast", "call in the error")
        try expect(error.code != nil && error.reason.contains("root"), true, "MPI's code and message in '\(error)'")
        try expect(error.description.hasPrefix("rank \(rank) of \(size): MPI_Bcast failed: "), true, "description '\(error)'")
        try communicator.barrier()
    }

    /// Ranks passing different counts to a broadcast: every rank throws the same error, none waits.
    func countMismatchFailsEverywhere() throws {
        var values = [Float](repeating: 0, count: 10 + rank)
        let error = try expectError("broadcast of 10 + rank floats") { try communicator.broadcast(&values) }
        try expect(error.call, "broadcast", "call in the error")
        try expect(error.reason.contains("different counts, from 10 to \(10 + size - 1) floats"), true, "reason '\(error.reason)'")
    }

    /// The last rank's value does not encode (NaN in JSON): every rank throws; the others name it.
    func encodingFailureFailsEverywhere() throws {
        let failing = size - 1
        let error = try expectError("gather of NaN on rank \(failing)") {
            _ = try communicator.gather(rank == failing ? Float.nan : 1)
        }
        try expect(error.call, "gather", "call in the error")
        let expected = rank == failing ? "does not encode as JSON" : "rank \(failing) failed to produce its value"
        try expect(error.reason.contains(expected), true, "reason '\(error.reason)' mentions '\(expected)'")
    }

    /// Rank 1 plans one parameter more: every rank's GradientBuckets refuses.
    func differingPlansFailEverywhere() throws {
        let sizes = rank == 1 ? [4, 4, 4] : [4, 4]
        let error = try expectError("bucket plans that differ on rank 1") {
            _ = try GradientBuckets(parameterSizes: sizes, communicator: communicator)
        }
        try expect(error.reason.contains("the ranks planned different buckets"), true, "reason '\(error.reason)'")
    }
}
