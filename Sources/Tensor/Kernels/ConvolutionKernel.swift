internal import CDNNL

/// What a 2-D convolution is: channels, kernel, stride, zero padding (before and after, so
/// TensorFlow's asymmetric "same" padding fits), dilation, groups, bias, and whether a ReLU
/// follows inside the same primitive. The weight is (O, I/groups, kH, kW), as torch's.
public struct ConvolutionParameters: Sendable {
    public var inputChannels: Int
    public var outputChannels: Int
    public var kernelSize: (height: Int, width: Int)
    public var stride: (height: Int, width: Int)
    /// Zero padding before (top, left) …
    public var padding: (height: Int, width: Int)
    /// … and after (bottom, right) the input.
    public var paddingEnd: (height: Int, width: Int)
    public var dilation: (height: Int, width: Int)
    public var groups: Int
    public var hasBias: Bool
    /// A ReLU applied to the output as the forward primitive's post-operation.
    public var fusesReLU: Bool

    public init(inputChannels: Int, outputChannels: Int, kernelSize: (height: Int, width: Int),
                stride: (height: Int, width: Int), padding: (height: Int, width: Int),
                paddingEnd: (height: Int, width: Int), dilation: (height: Int, width: Int),
                groups: Int, hasBias: Bool, fusesReLU: Bool) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.paddingEnd = paddingEnd
        self.dilation = dilation
        self.groups = groups
        self.hasBias = hasBias
        self.fusesReLU = fusesReLU
    }

    /// (O, I/groups, kH, kW).
    public var weightShape: [Int] { [outputChannels, inputChannels / groups, kernelSize.height, kernelSize.width] }

    /// Output spatial size for an input of height × width; a size of 0 means the kernel does not fit.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        func size(_ input: Int, _ kernel: Int, _ stride: Int, _ padding: Int, _ dilation: Int) -> Int {
            let span = dilation * (kernel - 1) + 1
            return input + padding < span ? 0 : (input + padding - span) / stride + 1
        }
        return (size(height, kernelSize.height, stride.height, padding.height + paddingEnd.height, dilation.height),
                size(width, kernelSize.width, stride.width, padding.width + paddingEnd.width, dilation.width))
    }
}

/// One convolution layer's oneDNN primitives (`jit:avx2`, `jit:avx512_core`, …): forward with the
/// optional ReLU post-operation, backward-data, backward-weights (or the Winograd weight gradient),
/// and the inference primitive with fused operations (ConvolutionKernel+Inference.swift). Each is
/// made once for an input layout and kept until the layout changes; the outputs are in the
/// layouts the primitives prefer (blocked, e.g. nChw16c), inputs in another layout are reordered
/// into a kept buffer, and the plain weights into a pooled one on every call (optimizers change them).
///
/// Outputs and gradients are new tensors on each call (pooled buffers), so a caller may keep them.
public final class ConvolutionKernel {
    public let parameters: ConvolutionParameters
    private var plan: Plan?
    /// The inference primitive and what feeds it (ConvolutionKernel+Inference.swift).
    var inferencePlan: InferencePlan?
    private var weightView: Tensor?
    private var gradientView: Tensor?
    /// How many weight gradients took the Winograd path (tests read it to see the path taken).
    private let winogradRuns = WinogradSupport.RunCounter()

    public init(_ parameters: ConvolutionParameters) { self.parameters = parameters }

    /// How many weight gradients this kernel computed by Winograd F(2×2, 3×3).
    public var winogradWeightGradientRuns: Int { winogradRuns.value }

    // x: (N, C_in, H, W), weight: (O, I/groups, kH, kW) plain, bias: (O) -> y: (N, O, H_out, W_out)
    /// The training forward (forward_training primitive; the ReLU as post-operation with `fusesReLU`).
    /// - Throws: `TensorError.shapeMismatch` when the kernel does not fit the input.
    public func forward(_ input: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        let plan = try self.plan(for: input)
        let source = try plan.sourceAdapter.adapt(input)
        let weights = try plan.weightsForForward.adapt(primitiveView(of: weight))
        // A new output each call: its buffer goes back to the pool once the next layer's
        // backward (or forward, when that layer keeps nothing) has let go of it.
        let output = try Tensor(descriptor: plan.outputDescriptor, zeroed: false)
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, output)]
        if let bias { arguments.append((DNNL_ARG_BIAS, bias)) }
        try plan.forward.execute(arguments)
        return output
    }

    // dy: (N, O, H_out, W_out) -> dy' in the forward output's layout
    /// The gradient the backward primitives take: `gradientOutput` in the forward's output
    /// layout, times (y > 0) when the ReLU is fused (y: the output of the recorded forward).
    /// - Throws: `TensorError.shapeMismatch` before a forward or for a gradient of another shape;
    ///   `TensorError.invalidArgument` when the ReLU is fused and `output` is nil.
    public func outputGradient(_ gradientOutput: Tensor, output: Tensor?) throws -> Tensor {
        let backward = try backwardPlan(gradientOutput)
        let gradient = try backward.gradientAdapter.adapt(gradientOutput)
        guard let relu = backward.reluBackward else { return gradient }
        guard let output else { throw TensorError.invalidArgument("the fused ReLU's gradient needs the forward's output") }
        // dy · (y > 0), from the stored output.
        let masked = try Tensor(descriptor: backward.outputDescriptor, zeroed: false)
        try relu.execute([(DNNL_ARG_DST, output), (DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, masked)])
        return masked
    }

    // x: (N, C_in, H, W), dy' -> dW: (O, I/groups, kH, kW) +=, db: (O) +=
    /// The weight-gradient computation for `input` (the recorded forward's) and `gradient` (from
    /// `outputGradient`), made ready here — primitives are built on the calling thread — and run
    /// when the returned work is called, possibly on another thread (it reads `input` and
    /// `gradient`, kept alive by the closure, and writes only `weightGradient`/`biasGradient`).
    /// - Parameters:
    ///   - weightGradient: the plain weight gradient to add dW to, or nil to skip it.
    ///   - biasGradient: the plain bias gradient to add db to, or nil.
    ///   - winograd: take the Winograd F(2×2, 3×3) path where it applies (`WinogradWeightGradient.supports`).
    public func weightGradientWork(input: Tensor, gradient: Tensor, weightGradient: Tensor?, biasGradient: Tensor?,
                                   winograd: Bool) throws -> () throws -> Void {
        let backward = try backwardPlan(gradient)
        let weightTarget = try weightGradient.map { try primitiveGradientView(of: $0) }
        let biasTarget = parameters.hasBias ? biasGradient : nil
        if winograd, let winogradSource = backward.winogradSource, let weightTarget {
            let runs = winogradRuns
            return {
                // 3×3, stride 1: Winograd F(2×2, 3×3) (see WinogradWeightGradient for why).
                let source = try winogradSource.adapt(input)
                try WinogradWeightGradient.accumulate(input: source, gradientOutput: gradient, into: weightTarget,
                                                      biasGradient: biasTarget)
                runs.increment()
            }
        }
        return {
            let source = try backward.sourceAdapterForWeights.adapt(input)
            let gradientForWeights = try backward.gradientAdapterForWeights.adapt(gradient)
            let weightGradient = try Tensor(descriptor: backward.weightGradientDescriptor, zeroed: false)
            var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_DIFF_DST, gradientForWeights),
                                                (DNNL_ARG_DIFF_WEIGHTS, weightGradient)]
            if let biasGradient = backward.biasGradient { arguments.append((DNNL_ARG_DIFF_BIAS, biasGradient)) }
            try backward.weights.execute(arguments)
            if let weightTarget { try backward.accumulateWeights.run(from: weightGradient, to: weightTarget) }
            if let biasTarget, let biasGradient = backward.biasGradient {
                try backward.accumulateBias!.run(from: biasGradient, to: biasTarget)
            }
        }
    }

    // dy' -> dx: (N, C_in, H, W)
    /// The input gradient (backward-data), a new tensor each call.
    public func inputGradient(_ gradient: Tensor, weight: Tensor) throws -> Tensor {
        let backward = try backwardPlan(gradient)
        let inputGradient = try Tensor(descriptor: backward.inputGradientDescriptor, zeroed: false)
        let gradientForData = try backward.gradientAdapterForData.adapt(gradient)
        let weights = try backward.weightsForData.adapt(primitiveView(of: weight))
        try backward.data.execute([(DNNL_ARG_DIFF_DST, gradientForData), (DNNL_ARG_WEIGHTS, weights),
                                   (DNNL_ARG_DIFF_SRC, inputGradient)])
        return inputGradient
    }

    /// Zeros in the input gradient's layout (for a first layer that skips its input gradient).
    public func zeroInputGradient(like gradient: Tensor) throws -> Tensor {
        try Tensor(descriptor: backwardPlan(gradient).inputGradientDescriptor)
    }

    // MARK: plan

    /// The weight as oneDNN sees it: itself, or 5-D (G, O/G, I/G, kH, kW) when grouped (a view, kept).
    func primitiveView(of weight: Tensor) throws -> Tensor {
        if parameters.groups == 1 { return weight }
        if weightView == nil || weightView!.base !== weight { weightView = try Tensor(viewing: weight, as: primitiveWeightLayout()) }
        return weightView!
    }

    private func primitiveGradientView(of gradient: Tensor) throws -> Tensor {
        if parameters.groups == 1 { return gradient }
        if gradientView == nil || gradientView!.base !== gradient {
            gradientView = try Tensor(viewing: gradient, as: primitiveWeightLayout())
        }
        return gradientView!
    }

    private func primitiveWeightLayout() throws -> Tensor.Layout { try Tensor.Layout.plain(primitiveWeightShape) }

    var primitiveWeightShape: [Int] {
        let shape = parameters.weightShape
        return parameters.groups == 1 ? shape : [parameters.groups, parameters.outputChannels / parameters.groups] + Array(shape.dropFirst())
    }

    private func plan(for input: Tensor) throws -> Plan {
        if let plan, MemoryDescriptor.equal(plan.inputDescriptor, input.descriptor) { return plan }
        plan = try Plan(input: input, geometry: geometry(for: input), fusesReLU: parameters.fusesReLU)
        return plan!
    }

    /// The backward primitives of the last forward's plan (made at the first backward).
    private func backwardPlan(_ gradient: Tensor) throws -> BackwardPlan {
        guard let plan else { throw TensorError.shapeMismatch("convolution backward before any forward") }
        guard gradient.shape == plan.geometry.output else {
            throw TensorError.shapeMismatch("convolution backward expects a gradient of shape \(plan.geometry.output), got \(gradient.shape)")
        }
        return try plan.backwardPrimitives(parameters)
    }

    /// The shapes, strides and padding of the convolution of `input`.
    /// - Throws: `TensorError.shapeMismatch` when the input is not (N, C_in, H, W) or the kernel
    ///   does not fit it.
    func geometry(for input: Tensor) throws -> Geometry {
        guard input.shape.count == 4, input.shape[1] == parameters.inputChannels else {
            throw TensorError.shapeMismatch("Conv2d expects an input of shape (N, \(parameters.inputChannels), H, W), got \(input.shape)")
        }
        let (height, width) = parameters.outputSize(height: input.shape[2], width: input.shape[3])
        guard height > 0, width > 0 else {
            throw TensorError.shapeMismatch("Conv2d input \(input.shape) is smaller than its kernel \(parameters.kernelSize) with padding \(parameters.padding)")
        }
        let p = parameters
        return Geometry(input: input.shape, output: [input.shape[0], p.outputChannels, height, width],
                        weights: primitiveWeightShape, hasBias: p.hasBias,
                        strides: [p.stride.height, p.stride.width].map(Int64.init),
                        dilates: [p.dilation.height - 1, p.dilation.width - 1].map(Int64.init),
                        padding: [p.padding.height, p.padding.width].map(Int64.init),
                        paddingEnd: [p.paddingEnd.height, p.paddingEnd.width].map(Int64.init))
    }

    struct Geometry {
        let input, output, weights: [Int]
        let hasBias: Bool
        let strides, dilates, padding, paddingEnd: [Int64]
    }

    /// The training primitives and buffers for one input shape and layout.
    final class Plan {
        let inputDescriptor: dnnl_memory_desc_t
        let geometry: Geometry
        let fusesReLU: Bool
        let forward: Primitive
        let sourceAdapter: LayoutAdapter
        let weightsForForward: WeightAdapter
        let outputDescriptor: dnnl_memory_desc_t
        private var backward: BackwardPlan?

        init(input: Tensor, geometry: Geometry, fusesReLU: Bool) throws {
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
        }

        func backwardPrimitives(_ parameters: ConvolutionParameters) throws -> BackwardPlan {
            if let backward { return backward }
            backward = try BackwardPlan(self, parameters: parameters)
            return backward!
        }
    }
}

/// Passes a pointer to `value`, or nil when it is absent (an optional C argument such as a bias
/// descriptor); the pointer is valid for one `Value` during `body` only.
func withOptionalPointer<Value, Result>(_ value: inout Value, present: Bool,
                                        _ body: (UnsafePointer<Value>?) throws -> Result) rethrows -> Result {
    if !present { return try body(nil) }
    return try withUnsafePointer(to: &value) { try body($0) }
}
