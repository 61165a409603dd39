/// Whether layers in evaluation mode keep what their backward pass needs.
///
/// In training mode every layer keeps its input, output and workspaces for backward. In
/// evaluation mode, by default, they do not (as under PyTorch's `torch.no_grad()`): each
/// forward output is a new tensor whose buffer returns to the pool once the next layer has
/// consumed it and the caller drops it, so inference holds only the activations in flight; and
/// batch norm and pooling run as inference primitives (with `Conv2d.fusesBatchNormInInference`,
/// on by default, convolutions fold the following batch norm into their weights and bias and
/// fuse the ReLU and residual sum: one primitive).
/// Backward after such a forward throws
/// `LayerError.backwardNotRecorded`.
///
/// Set `inEvaluation` to true to take gradients of a model in evaluation mode (running
/// statistics, no dropout) — `thorax forward --mode eval --backward` and the golden tests do:
/// then evaluation runs layer by layer, unfused, as training does.
public enum GradientRecording {
    /// Process-wide; false by default. Set it before the forward pass whose gradients you need.
    nonisolated(unsafe) public static var inEvaluation = false

    /// Whether a layer in the given mode keeps what its backward needs.
    @inlinable public static func isRecording(training: Bool) -> Bool { training || inEvaluation }
}
