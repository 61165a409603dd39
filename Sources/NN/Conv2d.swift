import Random
import CDNNL
import Tensor

/// 2-D convolution on oneDNN (`jit:avx2`, `jit:avx512_core`, …), as `torch.nn.Conv2d`: stride,
/// zero padding (optionally asymmetric, as TensorFlow's "same" padding with stride 2), dilation,
/// groups (depthwise when groups == inputChannels) and optional bias.
/// Parameters `weight` (O, I/groups, kH, kW) and `bias` (O) use torchvision's names.
///
/// The output is in the layout oneDNN prefers (blocked, e.g. nChw16c); an input in another
/// layout is reordered once per call. An optional fused ReLU post-op keeps backward exact: the
/// ReLU's gradient is applied from the stored output before the convolution's backward.
public final class Conv2d: Layer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: (height: Int, width: Int)
    public let stride: (height: Int, width: Int)
    /// Zero padding before (top, left) …
    public let padding: (height: Int, width: Int)
    /// … and after (bottom, right) the input; equal to `padding` unless given.
    public let paddingEnd: (height: Int, width: Int)
    public let dilation: (height: Int, width: Int)
    public let groups: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// Whether a ReLU is applied to the output inside the convolution (post-op).
    public let fusesReLU: Bool
    public var isTraining = true
    /// Whether backward computes the input gradient; off for a network's first layer saves time.
    public var computesInputGradient = true

    private var plan: Plan?
    var lastInput: Tensor?
    /// The last recorded output, kept only when the fused ReLU's backward needs it.
    private var lastOutput: Tensor?
    private var ranUnrecorded = false
    /// The evaluation-mode primitive with fused post-operations (Conv2d+Fusion.swift).
    var fusedPlan: FusedPlan?

    /// - Throws: `TensorError.invalidArgument` for non-positive sizes or channels not divisible by groups.
    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, fusesReLU: Bool = false, seed: UInt64 = 0) throws {
        try self.init(inputChannels: inputChannels, outputChannels: outputChannels,
                      kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding),
                      paddingEnd: nil, dilation: (dilation, dilation), groups: groups, bias: bias,
                      fusesReLU: fusesReLU, seed: seed)
    }

    public init(inputChannels: Int, outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), paddingEnd: (Int, Int)? = nil, dilation: (Int, Int) = (1, 1),
                groups: Int = 1, bias: Bool = true,
                fusesReLU: Bool = false, seed: UInt64 = 0) throws {
        guard inputChannels > 0, outputChannels > 0, groups > 0, kernelSize.0 > 0, kernelSize.1 > 0,
              stride.0 > 0, stride.1 > 0, padding.0 >= 0, padding.1 >= 0, (paddingEnd?.0 ?? 0) >= 0,
              (paddingEnd?.1 ?? 0) >= 0, dilation.0 > 0, dilation.1 > 0 else {
            throw TensorError.invalidArgument("Conv2d sizes must be positive (padding non-negative)")
        }
        guard inputChannels % groups == 0, outputChannels % groups == 0 else {
            throw TensorError.invalidArgument("Conv2d channels \(inputChannels)->\(outputChannels) are not divisible by groups \(groups)")
        }
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = (kernelSize.0, kernelSize.1)
        self.stride = (stride.0, stride.1)
        self.padding = (padding.0, padding.1)
        self.paddingEnd = paddingEnd.map { ($0.0, $0.1) } ?? (padding.0, padding.1)
        self.dilation = (dilation.0, dilation.1)
        self.groups = groups
        self.fusesReLU = fusesReLU
        let fanIn = inputChannels / groups * kernelSize.0 * kernelSize.1
        let bound = 1 / Float(fanIn).squareRoot()
        var random = SplitMix64(layerSeed: seed)
        let weightShape = [outputChannels, inputChannels / groups, kernelSize.0, kernelSize.1]
        weight = try Parameter(shape: weightShape, values: random.values(count: weightShape.reduce(1, *), bound: bound))
        self.bias = bias ? try Parameter(shape: [outputChannels], values: random.values(count: outputChannels, bound: bound)) : nil
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// Output spatial size for an input of height × width.
    /// A size of 0 means the kernel does not fit.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        func size(_ input: Int, _ kernel: Int, _ stride: Int, _ padding: Int, _ dilation: Int) -> Int {
            let span = dilation * (kernel - 1) + 1
            return input + padding < span ? 0 : (input + padding - span) / stride + 1
        }
        return (size(height, kernelSize.height, stride.height, padding.height + paddingEnd.height, dilation.height),
                size(width, kernelSize.width, stride.width, padding.width + paddingEnd.width, dilation.width))
    }

    // x: (N, C_in, H, W) -> y: (N, C_out, H_out, W_out)
    public func forward(_ input: Tensor) throws -> Tensor {
        guard GradientRecording.isRecording(training: isTraining) else {
            return try forward(input, fusing: ConvolutionFusion(relu: fusesReLU))
        }
        try requireShape(input, rank: 4, channels: inputChannels, layer: "Conv2d")
        let plan = try self.plan(for: input)
        let source = try plan.sourceAdapter.adapt(input)
        if plan.usesWinograd && WinogradConvolution.isEnabled {
            // 3×3, stride 1, wide: Winograd F(2×2, 3×3) (see WinogradConvolution for why).
            let output = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
            try WinogradConvolution.convolve(input: source, filters: weight.value, bias: bias?.value, relu: fusesReLU, output: output)
            lastInput = input
            lastOutput = fusesReLU ? output : nil
            ranUnrecorded = false
            return output
        }
        let weights = try plan.weightsForForward.adapt(weightViewPlain())
        // A new output each call: its buffer goes back to the pool once the next layer's
        // backward (or forward, when that layer keeps nothing) has let go of it.
        let output = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weights),
                                            (DNNL_ARG_DST, output)]
        if let bias { arguments.append((DNNL_ARG_BIAS, bias.value)) }
        try plan.forward.execute(arguments)
        lastInput = input
        lastOutput = fusesReLU ? output : nil
        ranUnrecorded = false
        return output
    }

    // dy: (N, C_out, H_out, W_out) -> dx: (N, C_in, H, W); dW, db accumulate.
    // dx is a new tensor each call (its buffer recycled through the pool once the caller drops it);
    // zeros when `computesInputGradient` is false.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let plan, let input = lastInput else { throw LayerError.backwardWithoutRecord("Conv2d", ranUnrecorded) }
        guard gradientOutput.shape == plan.geometry.output else {
            throw TensorError.shapeMismatch("Conv2d.backward expects a gradient of shape \(plan.geometry.output), got \(gradientOutput.shape)")
        }
        let backward = try plan.backwardPrimitives(for: self)
        // What forward kept is released once used, as PyTorch frees saved tensors: the
        // activations' buffers then serve the gradients of the layers below.
        let output = lastOutput
        defer {
            lastInput = nil
            lastOutput = nil
        }
        var gradient = try backward.gradientAdapter.adapt(gradientOutput)
        if let relu = backward.reluBackward, let output {
            // The fused ReLU's gradient, from the stored output: dy · (y > 0).
            let masked = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
            try relu.execute([(DNNL_ARG_DST, output), (DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, masked)])
            gradient = masked
        }
        if weight.isTrainable || (bias?.isTrainable ?? false) {
            // Inside OverlappedBackward.run this runs on its worker thread, beside the input
            // gradient below; it reads `input` and `gradient` (kept alive by the closure, never
            // written after this call) and writes only this layer's parameter gradients.
            let weightGradientTarget = weight.isTrainable ? try gradientViewPlain() : nil
            let biasTarget = (bias?.isTrainable ?? false) ? bias?.gradient : nil
            let winograd = WinogradWeightGradient.isEnabled ? backward.winogradSource : nil
            try OverlappedBackward.submit {
                if let winograd, let weightGradientTarget {
                    // 3×3, stride 1: Winograd F(2×2, 3×3) (see WinogradWeightGradient for why).
                    let source = try winograd.adapt(input)
                    try WinogradWeightGradient.accumulate(input: source, gradientOutput: gradient, into: weightGradientTarget,
                                                          biasGradient: biasTarget)
                    return
                }
                let source = try backward.sourceAdapterForWeights.adapt(input)
                let gradientForWeights = try backward.gradientAdapterForWeights.adapt(gradient)
                let weightGradient = try Tensor(descriptor: backward.weightGradientDescriptor, zeroed: false)
                var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_DIFF_DST, gradientForWeights),
                                                    (DNNL_ARG_DIFF_WEIGHTS, weightGradient)]
                if let biasGradient = backward.biasGradient { arguments.append((DNNL_ARG_DIFF_BIAS, biasGradient)) }
                try backward.weights.execute(arguments)
                if let weightGradientTarget {
                    try backward.accumulateWeights.run(from: weightGradient, to: weightGradientTarget)
                }
                if let biasTarget, let biasGradient = backward.biasGradient {
                    try backward.accumulateBias!.run(from: biasGradient, to: biasTarget)
                }
            }
        }
        guard computesInputGradient else { return try Tensor(descriptor: backward.inputGradientDescriptor) }
        let inputGradient = try Tensor(descriptor: backward.inputGradientDescriptor, zeroed: false)
        if plan.usesWinograd && WinogradConvolution.isEnabled && backward.winogradInputGradient {
            // dx = dy convolved with the filters turned by 180°, inputs and outputs swapped.
            try WinogradConvolution.convolve(input: gradient, filters: weight.value, flipsFilters: true, output: inputGradient)
            return inputGradient
        }
        let gradientForData = try backward.gradientAdapterForData.adapt(gradient)
        let weights = try backward.weightsForData.adapt(weightViewPlain())
        try backward.data.execute([(DNNL_ARG_DIFF_DST, gradientForData), (DNNL_ARG_WEIGHTS, weights),
                                   (DNNL_ARG_DIFF_SRC, inputGradient)])
        return inputGradient
    }

    /// Forgets the last forward's input and output (an unrecorded forward ran).
    func skipRecording() {
        lastInput = nil
        lastOutput = nil
        ranUnrecorded = true
    }

    // MARK: plan

    /// The weight (and its gradient) as oneDNN sees it: 5-D goihw when grouped.
    var plainWeightDescriptor: dnnl_memory_desc_t {
        get throws {
            groups == 1 ? try MemoryDescriptor.plain(weight.shape)
                : try MemoryDescriptor.plain([groups, outputChannels / groups] + Array(weight.shape.dropFirst()))
        }
    }
    var primitiveWeightShape: [Int] {
        groups == 1 ? weight.shape : [groups, outputChannels / groups] + Array(weight.shape.dropFirst())
    }
    private var weightView: Tensor?
    private var gradientView: Tensor?
    func weightViewPlain() throws -> Tensor {
        if groups == 1 { return weight.value }
        if weightView == nil { weightView = try Tensor(viewing: weight.value, as: plainWeightDescriptor) }
        return weightView!
    }
    private func gradientViewPlain() throws -> Tensor {
        if groups == 1 { return weight.gradient }
        if gradientView == nil { gradientView = try Tensor(viewing: weight.gradient, as: plainWeightDescriptor) }
        return gradientView!
    }

    private func plan(for input: Tensor) throws -> Plan {
        if let plan, MemoryDescriptor.equal(plan.inputDescriptor, input.descriptor) { return plan }
        plan = try Plan(input: input, geometry: geometry(for: input), fusesReLU: fusesReLU,
                        winograd: WinogradConvolution.supports(self))
        return plan!
    }

    /// The shapes, strides and padding of the convolution of `input`.
    /// - Throws: `TensorError.shapeMismatch` when the kernel does not fit the input.
    func geometry(for input: Tensor) throws -> Geometry {
        let (height, width) = outputSize(height: input.shape[2], width: input.shape[3])
        guard height > 0, width > 0 else {
            throw TensorError.shapeMismatch("Conv2d input \(input.shape) is smaller than its kernel \(kernelSize) with padding \(padding)")
        }
        return Geometry(input: input.shape, output: [input.shape[0], outputChannels, height, width],
                                weights: primitiveWeightShape, hasBias: bias != nil,
                                strides: [stride.height, stride.width].map(Int64.init),
                                dilates: [dilation.height - 1, dilation.width - 1].map(Int64.init),
                                padding: [padding.height, padding.width].map(Int64.init),
                                paddingEnd: [paddingEnd.height, paddingEnd.width].map(Int64.init))
    }

    struct Geometry {
        let input, output, weights: [Int]
        let hasBias: Bool
        let strides, dilates, padding, paddingEnd: [Int64]
    }

    /// Primitives and buffers for one input shape and layout.
    final class Plan {
        let inputDescriptor: dnnl_memory_desc_t
        let geometry: Geometry
        let fusesReLU: Bool
        let forward: Primitive
        let sourceAdapter: LayoutAdapter
        let weightsForForward: WeightAdapter
        let outputDescriptor: dnnl_memory_desc_t
        /// Whether forward and the input gradient run as `WinogradConvolution` (the layer is one it
        /// supports and the forward's input and output layouts are channel-blocked by 8 or 16).
        let usesWinograd: Bool
        private var backward: BackwardPlan?

        init(input: Tensor, geometry: Geometry, fusesReLU: Bool, winograd: Bool) throws {
            inputDescriptor = input.descriptor
            self.geometry = geometry
            self.fusesReLU = fusesReLU
            var source = try MemoryDescriptor.any(geometry.input)
            var weights = try MemoryDescriptor.any(geometry.weights)
            var destination = try MemoryDescriptor.any(geometry.output)
            var bias = try MemoryDescriptor.plain([geometry.output[1]])
            var operation = dnnl_convolution_desc_t()
            try withOptionalPointer(&bias, present: geometry.hasBias) { bias in
                try checkDNNL(dnnl_dilated_convolution_forward_desc_init(
                    &operation, dnnl_forward_training, dnnl_convolution_direct, &source, &weights,
                    bias, &destination, geometry.strides, geometry.dilates,
                    geometry.padding, geometry.paddingEnd), "dnnl_dilated_convolution_forward_desc_init")
            }
            let attributes = try PrimitiveAttributes(fusesReLU ? [.eltwise(dnnl_eltwise_relu, alpha: 0, beta: 0)] : [])
            forward = try Primitive("convolution forward", operation: operation, attributes: attributes.handle)
            sourceAdapter = LayoutAdapter(target: forward.memoryDescriptor(dnnl_query_src_md))
            weightsForForward = WeightAdapter(target: forward.memoryDescriptor(dnnl_query_weights_md))
            outputDescriptor = forward.memoryDescriptor(dnnl_query_dst_md)
            usesWinograd = winograd && WinogradWeightGradient.layout(of: forward.memoryDescriptor(dnnl_query_src_md)) != nil
                && WinogradWeightGradient.layout(of: outputDescriptor) != nil
        }

        func backwardPrimitives(for layer: Conv2d) throws -> BackwardPlan {
            if let backward { return backward }
            backward = try BackwardPlan(self, layer: layer)
            return backward!
        }
    }

    final class BackwardPlan {
        let data: Primitive
        let weights: Primitive
        let reluBackward: Primitive?
        let gradientAdapter: LayoutAdapter
        let gradientAdapterForData: LayoutAdapter
        let gradientAdapterForWeights: LayoutAdapter
        let sourceAdapterForWeights: LayoutAdapter
        let weightsForData: WeightAdapter
        let inputGradientDescriptor: dnnl_memory_desc_t
        let weightGradientDescriptor: dnnl_memory_desc_t
        let biasGradient: Tensor?
        let accumulateWeights: Reorder
        let accumulateBias: Reorder?
        /// Brings the layer's input to the channel-blocked layout of its forward, when the weight
        /// gradient can take the Winograd path (`WinogradWeightGradient.supports`, input and output
        /// gradient channel-blocked by 8 or 16); nil otherwise.
        let winogradSource: LayoutAdapter?
        /// Whether the input gradient's layout is channel-blocked, as `WinogradConvolution` writes.
        let winogradInputGradient: Bool

        init(_ plan: Plan, layer: Conv2d) throws {
            let geometry = plan.geometry
            var diffSource = try MemoryDescriptor.any(geometry.input)
            var weightsAny = try MemoryDescriptor.any(geometry.weights)
            var diffDestination = try MemoryDescriptor.any(geometry.output)
            var dataOperation = dnnl_convolution_desc_t()
            try checkDNNL(dnnl_dilated_convolution_backward_data_desc_init(
                &dataOperation, dnnl_convolution_direct, &diffSource, &weightsAny, &diffDestination,
                geometry.strides, geometry.dilates, geometry.padding, geometry.paddingEnd),
                "dnnl_dilated_convolution_backward_data_desc_init")
            data = try Primitive("convolution backward data", operation: dataOperation, hint: plan.forward)

            var source = try MemoryDescriptor.any(geometry.input)
            var diffWeights = try MemoryDescriptor.any(geometry.weights)
            var diffBias = try MemoryDescriptor.plain([geometry.output[1]])
            var diffDestination2 = try MemoryDescriptor.any(geometry.output)
            var weightsOperation = dnnl_convolution_desc_t()
            try withOptionalPointer(&diffBias, present: geometry.hasBias) { diffBias in
                try checkDNNL(dnnl_dilated_convolution_backward_weights_desc_init(
                    &weightsOperation, dnnl_convolution_direct, &source, &diffWeights,
                    diffBias, &diffDestination2,
                    geometry.strides, geometry.dilates, geometry.padding, geometry.paddingEnd),
                    "dnnl_dilated_convolution_backward_weights_desc_init")
            }
            weights = try Primitive("convolution backward weights", operation: weightsOperation, hint: plan.forward)

            let outputDescriptor = plan.outputDescriptor
            gradientAdapter = LayoutAdapter(target: outputDescriptor)
            if plan.fusesReLU {
                var eltwise = dnnl_eltwise_desc_t()
                var descriptor = outputDescriptor
                try checkDNNL(dnnl_eltwise_backward_desc_init(&eltwise, dnnl_eltwise_relu_use_dst_for_bwd, &descriptor,
                                                              &descriptor, 0, 0), "dnnl_eltwise_backward_desc_init")
                var forwardOperation = dnnl_eltwise_desc_t()
                try checkDNNL(dnnl_eltwise_forward_desc_init(&forwardOperation, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd,
                                                             &descriptor, 0, 0), "dnnl_eltwise_forward_desc_init")
                let hint = try Primitive("relu forward hint", operation: forwardOperation)
                reluBackward = try Primitive("relu backward", operation: eltwise, hint: hint)
            } else {
                reluBackward = nil
            }
            gradientAdapterForData = LayoutAdapter(target: data.memoryDescriptor(dnnl_query_diff_dst_md))
            gradientAdapterForWeights = LayoutAdapter(target: weights.memoryDescriptor(dnnl_query_diff_dst_md))
            sourceAdapterForWeights = LayoutAdapter(target: weights.memoryDescriptor(dnnl_query_src_md))
            weightsForData = WeightAdapter(target: data.memoryDescriptor(dnnl_query_weights_md))
            inputGradientDescriptor = data.memoryDescriptor(dnnl_query_diff_src_md)
            weightGradientDescriptor = weights.memoryDescriptor(dnnl_query_diff_weights_md)
            let plainWeights = try MemoryDescriptor.plain(geometry.weights)
            accumulateWeights = try Reorder(from: weightGradientDescriptor, to: plainWeights, accumulate: true)
            if geometry.hasBias {
                let biasDescriptor = weights.memoryDescriptor(dnnl_query_diff_weights_md, index: 1)
                biasGradient = try Tensor(descriptor: biasDescriptor)
                accumulateBias = try Reorder(from: biasDescriptor, to: MemoryDescriptor.plain([geometry.output[1]]), accumulate: true)
            } else {
                biasGradient = nil
                accumulateBias = nil
            }
            winogradInputGradient = WinogradWeightGradient.layout(of: inputGradientDescriptor) != nil
            let forwardSource = plan.forward.memoryDescriptor(dnnl_query_src_md)
            if WinogradWeightGradient.supports(layer),
               WinogradWeightGradient.layout(of: forwardSource) != nil,
               WinogradWeightGradient.layout(of: outputDescriptor) != nil {
                winogradSource = LayoutAdapter(target: forwardSource)
            } else {
                winogradSource = nil
            }
        }
    }
}

/// Gives a plain weight tensor in the layout a primitive wants: the weight itself when the
/// layouts agree, else a reordered copy made on every call (optimizers change the weights
/// between steps) in a pooled buffer, so layers of equal shape share the memory.
final class WeightAdapter {
    let target: dnnl_memory_desc_t
    private var reorder: Reorder?

    init(target: dnnl_memory_desc_t) { self.target = target }

    func adapt(_ plain: Tensor) throws -> Tensor {
        if MemoryDescriptor.equal(plain.descriptor, target) { return plain }
        if reorder == nil { reorder = try Reorder(from: plain.descriptor, to: target) }
        let buffer = try Tensor(descriptor: target, zeroed: false)
        try reorder!.run(from: plain, to: buffer)
        return buffer
    }
}

/// Passes a pointer to `value`, or nil when it is absent (an optional C argument such as a bias
/// descriptor); the pointer is valid for one `Value` during `body` only.
func withOptionalPointer<Value, Result>(_ value: inout Value, present: Bool,
                                        _ body: (UnsafePointer<Value>?) throws -> Result) rethrows -> Result {
    if !present { return try body(nil) }
    return try withUnsafePointer(to: &value) { try body($0) }
}
