import CMPI
import Foundation

extension Communicator {
    /// Collects every rank's `values` (any length, also empty) at `root`: there, the arrays in
    /// rank order; nil on the other ranks. Throws MPI's error, or on every rank alike when the
    /// total is over 2³¹−1 floats.
    public func gather(_ values: [Float], root: Int = 0) throws(DistributedError) -> [[Float]]? {
        try gatherVariable(.success(values), datatype: mpi_shim_float(), root: root, "gather")
    }

    /// Collects every rank's `bytes` (any length) at `root`, in rank order; nil elsewhere.
    public func gather(bytes: [UInt8], root: Int = 0) throws(DistributedError) -> [[UInt8]]? {
        try gatherVariable(.success(bytes), datatype: mpi_shim_byte(), root: root, "gather")
    }

    /// Collects every rank's `value` at `root`, sent as JSON, in rank order; nil elsewhere. If
    /// any rank cannot encode its value, every rank throws, naming that rank.
    public func gather<Value: Codable>(_ value: Value, root: Int = 0) throws(DistributedError) -> [Value]? {
        let encoded: Result<[UInt8], DistributedError>
        do {
            encoded = .success(Array(try JSONEncoder().encode(value)))
        } catch {
            encoded = .failure(failure("gather", "the value of type \(Value.self) does not encode as JSON: \(error)"))
        }
        guard let parts = try gatherVariable(encoded, datatype: mpi_shim_byte(), root: root, "gather") else { return nil }
        var values: [Value] = []
        for (source, bytes) in parts.enumerated() {
            do {
                values.append(try JSONDecoder().decode(Value.self, from: Data(bytes)))
            } catch {
                throw failure("gather", "the value from rank \(source) does not decode as \(Value.self): \(error)")
            }
        }
        return values
    }

    /// Every rank learns all ranks' lengths (`MPI_Allgather`; a rank that failed sends −1, so
    /// all throw together), then `MPI_Gatherv` sends the elements to the root.
    func gatherVariable<Element: BitwiseCopyable>(_ payload: Result<[Element], DistributedError>, datatype: MPI_Datatype,
                                                  root: Int, _ call: String) throws(DistributedError) -> [[Element]]? {
        let values = (try? payload.get()) ?? []
        var length: Int64 = (try? payload.get()).map { Int64($0.count) } ?? -1
        var lengths = [Int64](repeating: 0, count: size)
        try check(MPI_Allgather(&length, 1, mpi_shim_int64(), &lengths, 1, mpi_shim_int64(), handle), "MPI_Allgather")
        if case .failure(let error) = payload { throw error }
        if let failed = lengths.firstIndex(where: { $0 < 0 }) {
            throw failure(call, "rank \(failed) failed to produce its value (its own message says why)")
        }
        let total = lengths.reduce(0, +)
        guard total <= Int64(Int32.max) else {
            throw failure(call, "the ranks send \(total) elements in all, over MPI's limit of \(Int32.max)")
        }
        let counts = lengths.map { Int32($0) }
        var displacements = [Int32](repeating: 0, count: size)
        for index in counts.indices.dropFirst() { displacements[index] = displacements[index - 1] + counts[index - 1] }
        let isRoot = rank == root
        var received = [Element](unsafeUninitializedCapacity: isRoot ? Int(total) : 0) { _, count in
            count = isRoot ? Int(total) : 0  // every element is written by MPI_Gatherv before it is read
        }
        let code = values.withUnsafeBytes { send in
            received.withUnsafeMutableBytes { receive in
                counts.withUnsafeBufferPointer { counts in
                    displacements.withUnsafeBufferPointer { displacements in
                        // The receive counts and displacements are read at the root only.
                        MPI_Gatherv(send.baseAddress, Int32(values.count), datatype, receive.baseAddress,
                                    isRoot ? counts.baseAddress : nil, isRoot ? displacements.baseAddress : nil,
                                    datatype, Int32(clamping: root), handle)
                    }
                }
            }
        }
        try check(code, "MPI_Gatherv")
        guard isRoot else { return nil }
        return counts.indices.map { source in
            Array(received[Int(displacements[source])..<Int(displacements[source] + counts[source])])
        }
    }
}
