import Distributed

/// The checks `verify` runs on every rank. Each fills its buffers from the rank with small
/// integers (exact in Float, and so are their sums), so every result is compared for exact
/// equality; a difference throws `CheckFailure` naming the check and the first wrong element.
final class CollectiveChecks {
    let communicator: Communicator
    private(set) var names: [String] = []

    init(communicator: Communicator) {
        self.communicator = communicator
    }

    var rank: Int { communicator.rank }
    var size: Int { communicator.size }
    /// 1 + 2 + … + size: the sum over ranks of (rank + 1).
    var rankSum: Int { size * (size + 1) / 2 }

    func runAll() throws {
        try check("allreduce sum", allreduceSum)
        try check("allreduce average", allreduceAverage)
        try check("non-blocking allreduce", nonBlockingAllreduce)
        try check("broadcast floats", broadcastFloats)
        try check("broadcast bytes", broadcastBytes)
        try check("broadcast Codable", broadcastCodable)
        try check("gather floats", gatherFloats)
        try check("gather bytes", gatherBytes)
        try check("gather Codable", gatherCodable)
        try check("gradient buckets", gradientBuckets)
        try check("allreduce doubles", allreduceDoubles)
        try check("summed gradient buckets", summedGradientBuckets)
        try check("duplicate communicator", duplicateSeparatesCollectives)
        try check("lowest failing rank", lowestFailingRank)
        try check("MPI error names rank and call", mpiErrorNamesRankAndCall)
        try check("count mismatch fails on every rank", countMismatchFailsEverywhere)
        try check("encoding failure fails on every rank", encodingFailureFailsEverywhere)
        try check("differing bucket plans fail on every rank", differingPlansFailEverywhere)
    }

    private func check(_ name: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as CheckFailure {
            throw CheckFailure("check '\(name)': \(failure.description)")
        }
        names.append(name)
    }

    /// Throws unless `actual` equals `expected` bit for bit (so −0 and NaN payloads count too).
    func expect(_ actual: [Float], _ expected: [Float], _ what: String) throws {
        guard actual.count == expected.count else {
            throw CheckFailure("\(what): \(actual.count) values, expected \(expected.count)")
        }
        if let index = actual.indices.first(where: { actual[$0].bitPattern != expected[$0].bitPattern }) {
            throw CheckFailure("\(what): element \(index) is \(actual[index]), expected \(expected[index])")
        }
    }

    func expect<Value: Equatable>(_ actual: Value, _ expected: Value, _ what: String) throws {
        guard actual == expected else { throw CheckFailure("\(what): got \(actual), expected \(expected)") }
    }

    /// Runs `body`, which must throw a `DistributedError`; returns it.
    func expectError(_ what: String, _ body: () throws -> Void) throws -> DistributedError {
        do {
            try body()
        } catch let error as DistributedError {
            return error
        }
        throw CheckFailure("\(what): no error was thrown")
    }

    /// Element `index` of rank `rank`'s buffer: (rank + 1) · (index mod 7 + 1).
    func pattern(rank: Int, index: Int) -> Float {
        Float((rank + 1) * (index % 7 + 1))
    }
}
