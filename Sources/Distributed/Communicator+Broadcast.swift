import CMPI
import Foundation

extension Communicator {
    /// Copies `root`'s `buffer` into `buffer` on every other rank (initial weights, for one).
    /// Every rank passes the same count; a mismatch throws on every rank alike. Throws MPI's
    /// error (`MPI_ERR_ROOT` for a root outside `0..<size`).
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int = 0) throws(DistributedError) {
        try requireSameCount(buffer.count, unit: "floats", "broadcast")
        let count = try mpiCount(buffer.count, "MPI_Bcast")
        try check(MPI_Bcast(UnsafeMutableRawPointer(buffer.baseAddress), count, mpi_shim_float(), Int32(clamping: root), handle),
                  "MPI_Bcast")
    }

    /// `broadcast(_:root:)` on an array, in place.
    public func broadcast(_ values: inout [Float], root: Int = 0) throws(DistributedError) {
        try values.withUnsafeMutableBufferPointer { (buffer) throws(DistributedError) in
            try broadcast(buffer, root: root)
        }
    }

    /// Returns `root`'s `bytes` on every rank; the other ranks' `bytes` are ignored, and only
    /// the root needs to know the length.
    public func broadcast(bytes: [UInt8], root: Int = 0) throws(DistributedError) -> [UInt8] {
        try broadcastBytes(rank == root ? .success(bytes) : .success([]), root: root, "broadcast")
    }

    /// Returns `root`'s `value` on every rank, sent as JSON; the other ranks pass nil (their
    /// value is ignored). If the root cannot encode its value (or passes nil), every rank
    /// throws; a rank that cannot decode it throws alone.
    public func broadcast<Value: Codable>(_ value: Value?, root: Int = 0) throws(DistributedError) -> Value {
        var encoded: Result<[UInt8], DistributedError> = .success([])
        if rank == root {
            if let value {
                do {
                    encoded = .success(Array(try JSONEncoder().encode(value)))
                } catch {
                    encoded = .failure(failure("broadcast", "the value of type \(Value.self) does not encode as JSON: \(error)"))
                }
            } else {
                encoded = .failure(failure("broadcast", "the root passed no value"))
            }
        }
        let bytes = try broadcastBytes(encoded, root: root, "broadcast")
        do {
            return try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw failure("broadcast", "the value from root \(root) does not decode as \(Value.self): \(error)")
        }
    }

    /// Broadcasts the root's length, then its bytes. A root that failed sends length −1: every
    /// rank then throws (the root its own error), so none is left waiting for the bytes.
    func broadcastBytes(_ payload: Result<[UInt8], DistributedError>, root: Int, _ call: String) throws(DistributedError) -> [UInt8] {
        var bytes: [UInt8] = []
        var length: Int64 = -1
        var rootFailure: DistributedError?
        if rank == root {
            switch payload {
            case .success(let payloadBytes) where payloadBytes.count <= Int(Int32.max):
                bytes = payloadBytes
                length = Int64(payloadBytes.count)
            case .success(let payloadBytes):
                rootFailure = failure(call, "\(payloadBytes.count) bytes is over MPI's limit of \(Int32.max) per call")
            case .failure(let error):
                rootFailure = error
            }
        }
        try check(MPI_Bcast(&length, 1, mpi_shim_int64(), Int32(clamping: root), handle), "MPI_Bcast")
        if let rootFailure { throw rootFailure }
        if length < 0 { throw failure(call, "root \(root) failed to produce the value (its own message says why)") }
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(length)) }
        let code = bytes.withUnsafeMutableBytes { raw in
            MPI_Bcast(raw.baseAddress, Int32(length), mpi_shim_byte(), Int32(clamping: root), handle)
        }
        try check(code, "MPI_Bcast")
        return bytes
    }
}
