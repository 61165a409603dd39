import Distributed

extension CollectiveChecks {
    func allreduceSum() throws {
        let count = 1000
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        for index in 0..<count { buffer[index] = pattern(rank: rank, index: index) }
        try communicator.allreduce(buffer, .sum)
        try expect(Array(buffer), (0..<count).map { Float(rankSum * ($0 % 7 + 1)) }, "sum of 1000 floats")
    }

    func allreduceAverage() throws {
        var values = (0..<1001).map { pattern(rank: rank, index: $0) }
        try communicator.allreduce(&values, .average)
        try expect(values, (0..<1001).map { Float(rankSum * ($0 % 7 + 1)) / Float(size) }, "average of 1001 floats")
    }

    func nonBlockingAllreduce() throws {
        let count = 100_000
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        for index in 0..<count { buffer[index] = pattern(rank: rank, index: index) }
        let summing = try communicator.startAllreduce(buffer, .sum)
        let averaging = try communicator.startAllreduce((0..<513).map { pattern(rank: rank, index: $0) }, .average)
        let empty = try communicator.startAllreduce([], .sum)
        while !(try summing.test()) {}
        try summing.wait()  // a second completion returns at once
        try expect(Array(buffer), (0..<count).map { Float(rankSum * ($0 % 7 + 1)) }, "sum of 100000 floats")
        try expect(try averaging.wait(), (0..<513).map { Float(rankSum * ($0 % 7 + 1)) / Float(size) }, "average of 513 floats")
        try expect(try empty.wait(), [], "sum of no floats")
    }

    func broadcastFloats() throws {
        for root in 0..<size {
            var values = rank == root ? (0..<257).map { Float(root * 1000 + $0) } : [Float](repeating: -1, count: 257)
            try communicator.broadcast(&values, root: root)
            try expect(values, (0..<257).map { Float(root * 1000 + $0) }, "floats from root \(root)")
        }
    }

    func broadcastBytes() throws {
        let root = size - 1
        let sent = (0..<3001).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let received = try communicator.broadcast(bytes: rank == root ? sent : [], root: root)
        try expect(received, sent, "3001 bytes from root \(root)")
    }

    func broadcastCodable() throws {
        let sent = Sample(name: "weights ✓", seed: .max, values: Sample.awkwardFloats, ranks: ["a": 1, "b": size])
        let received: Sample = try communicator.broadcast(rank == 0 ? sent : nil, root: 0)
        try expect(received.values, sent.values, "values of the broadcast value")
        try expect(received, sent, "broadcast value")
    }

    func gatherFloats() throws {
        // Rank r sends 2r floats (rank 0 none): lengths differ, one is empty.
        let gathered = try communicator.gather((0..<(2 * rank)).map { Float(rank * 10 + $0) }, root: 0)
        if rank == 0 {
            guard let gathered else { throw CheckFailure("root 0 got nil") }
            try expect(gathered.count, size, "number of parts")
            for source in 0..<size {
                try expect(gathered[source], (0..<(2 * source)).map { Float(source * 10 + $0) }, "floats from rank \(source)")
            }
        } else {
            try expect(gathered == nil, true, "result on a rank other than the root is nil")
        }
    }

    func gatherBytes() throws {
        let root = size - 1
        let gathered = try communicator.gather(bytes: [UInt8](repeating: UInt8(rank), count: 100 + rank), root: root)
        if rank == root {
            try expect(gathered ?? [], (0..<size).map { [UInt8](repeating: UInt8($0), count: 100 + $0) }, "bytes at root \(root)")
        } else {
            try expect(gathered == nil, true, "result on a rank other than the root is nil")
        }
    }

    func gatherCodable() throws {
        let gathered = try communicator.gather(Sample(name: "rank \(rank)", seed: UInt64(rank), values: [Float(rank)], ranks: [:]))
        if rank == 0 {
            let expected = (0..<size).map { Sample(name: "rank \($0)", seed: UInt64($0), values: [Float($0)], ranks: [:]) }
            try expect(gathered ?? [], expected, "values at root 0")
        }
    }
}

/// A Codable value with what JSON might lose: a full 64-bit integer, non-ASCII text, floats at
/// the edges of the format.
struct Sample: Codable, Equatable {
    var name: String
    var seed: UInt64
    var values: [Float]
    var ranks: [String: Int]

    static let awkwardFloats: [Float] = [0.1, -0.0, .ulpOfOne, .greatestFiniteMagnitude, .leastNormalMagnitude,
                                         .leastNonzeroMagnitude, 16_777_215, -3.4e-20]
}
