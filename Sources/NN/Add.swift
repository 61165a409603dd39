import CDNNL
import Tensor

/// Element-wise sum of two tensors of the same shape — the residual connection of ResNet —
/// optionally followed by a ReLU (ResNet's relu(out + identity)) fused as a post-operation.
/// The output has the first input's layout; the second is reordered to it when it differs.
///
/// With `overwritesFirstInput` the sum is written into the first input's buffer (as PyTorch's
/// `out += identity`), saving one activation-sized buffer per call — for a first input that
/// nothing reads afterwards, such as a batch norm's output (its backward needs only its input).
public final class Add: Module {
    public let fusesReLU: Bool
    public let overwritesFirstInput: Bool
    public var isTraining = true

    private var inputDescriptor: dnnl_memory_desc_t?
    private var addition: ElementwiseAddition?
    private var secondAdapter: LayoutAdapter?
    private var output: Tensor?
    private var reluBackward: Primitive?
    private var reluHint: Primitive?
    private var gradientAdapter: LayoutAdapter?
    private var ranUnrecorded = false
    private var recordedShape: [Int]?

    public init(fusesReLU: Bool = false, overwritesFirstInput: Bool = false) {
        self.fusesReLU = fusesReLU
        self.overwritesFirstInput = overwritesFirstInput
    }

    // a, b: same shape -> a + b (or relu(a + b)), a's layout
    public func forward(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.shape == b.shape else { throw TensorError.shapeMismatch("Add needs equal shapes, got \(a.shape) and \(b.shape)") }
        if inputDescriptor == nil || !MemoryDescriptor.equal(inputDescriptor!, a.descriptor) {
            addition = try ElementwiseAddition(descriptor: a.descriptor, appliesReLU: fusesReLU)
            secondAdapter = LayoutAdapter(target: a.descriptor)
            output = nil
            gradientAdapter = LayoutAdapter(target: a.descriptor)
            reluBackward = nil
            inputDescriptor = a.descriptor
        }
        let second = try secondAdapter!.adapt(b)
        // Unrecorded evaluation: a new output each call (pooled), nothing kept for backward.
        let recording = GradientRecording.isRecording(training: isTraining)
        ranUnrecorded = !recording
        let output = overwritesFirstInput ? a : try Tensor(descriptor: a.descriptor, zeroed: false)
        // Backward needs the output only for the fused ReLU's mask.
        self.output = recording && fusesReLU ? output : nil
        recordedShape = recording ? a.shape : nil
        try addition!.run(a, second, into: output)
        return output
    }

    /// The gradient for both inputs (one tensor, returned twice; with the fused ReLU, dy·(y > 0)).
    public func backward(_ gradientOutput: Tensor) throws -> (Tensor, Tensor) {
        guard let shape = recordedShape, let gradientAdapter, !ranUnrecorded else {
            throw LayerError.backwardWithoutRecord("Add", ranUnrecorded)
        }
        guard gradientOutput.shape == shape else {
            throw TensorError.shapeMismatch("Add.backward expects a gradient of shape \(shape), got \(gradientOutput.shape)")
        }
        guard fusesReLU else { return (gradientOutput, gradientOutput) }
        guard let output else { throw LayerError.backwardBeforeForward("Add") }
        defer { self.output = nil }  // released once used, as PyTorch frees saved tensors
        if reluBackward == nil {
            var data = output.descriptor
            var forwardOperation = dnnl_eltwise_desc_t()
            try checkDNNL(dnnl_eltwise_forward_desc_init(&forwardOperation, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd,
                                                         &data, 0, 0), "dnnl_eltwise_forward_desc_init")
            reluHint = try Primitive("relu forward hint", operation: forwardOperation)
            var operation = dnnl_eltwise_desc_t()
            try checkDNNL(dnnl_eltwise_backward_desc_init(&operation, dnnl_eltwise_relu_use_dst_for_bwd, &data, &data, 0, 0),
                          "dnnl_eltwise_backward_desc_init")
            reluBackward = try Primitive("relu backward", operation: operation, hint: reluHint)
        }
        let incoming = try gradientAdapter.adapt(gradientOutput)
        let gradient = try Tensor(descriptor: output.descriptor, zeroed: false)
        try reluBackward!.execute([(DNNL_ARG_DST, output), (DNNL_ARG_DIFF_DST, incoming), (DNNL_ARG_DIFF_SRC, gradient)])
        return (gradient, gradient)
    }
}
