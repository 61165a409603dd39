internal import CDNNL

/// What went wrong in the tensor engine: a shape that does not fit, or a oneDNN call that failed.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// A tensor's shape does not fit what an operation needs; the text names the operation.
    case shapeMismatch(String)
    /// A value outside what an operation accepts (a negative size, a zero stride, ...).
    case invalidArgument(String)
    /// A oneDNN call returned an error status.
    case oneDNN(call: String, status: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let text): return "shape mismatch: \(text)"
        case .invalidArgument(let text): return "invalid argument: \(text)"
        case .oneDNN(let call, let status):
            return "oneDNN call \(call) failed with status \(status) (\(TensorError.statusName(status)))"
        }
    }

    static func statusName(_ status: Int) -> String {
        switch status {
        case Int(dnnl_out_of_memory.rawValue): return "out of memory"
        case Int(dnnl_invalid_arguments.rawValue): return "invalid arguments"
        case Int(dnnl_unimplemented.rawValue): return "unimplemented"
        case Int(dnnl_runtime_error.rawValue): return "runtime error"
        default: return "status \(status)"
        }
    }
}

/// Throws `TensorError.oneDNN` when a oneDNN call did not succeed.
@inline(__always)
func checkDNNL(_ status: dnnl_status_t, _ call: @autoclosure () -> String) throws {
    if status != dnnl_success { throw TensorError.oneDNN(call: call(), status: Int(status.rawValue)) }
}
