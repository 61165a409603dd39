internal import CDNNL

/// y = x·Wᵀ + b on oneDNN's inner product, forward and backward, for a (N, I) input and a
/// (O, I) weight; plain layouts for input, output and gradients (the tensors are small, and
/// plain (N, F) is what callers read), the weight reordered into the primitives' layout on each call.
public final class InnerProductKernel {
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let hasBias: Bool
    private var plan: Plan?

    public init(inputFeatures: Int, outputFeatures: Int, hasBias: Bool) {
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        self.hasBias = hasBias
    }

    // x: (N, I), weight: (O, I), bias: (O) -> y: (N, O) plain
    /// Returns the output and the input in the primitive's (plain) layout, which backward takes.
    /// The output is a tensor this kernel keeps and overwrites on its next call.
    /// - Throws: `TensorError.shapeMismatch` for an input that is not (N, I).
    public func forward(_ input: Tensor, weight: Tensor, bias: Tensor?) throws -> (output: Tensor, source: Tensor) {
        guard input.shape.count == 2, input.shape[1] == inputFeatures else {
            throw TensorError.shapeMismatch("Linear expects an input of shape (N, \(inputFeatures)), got \(input.shape)")
        }
        if plan == nil || plan!.batch != input.shape[0] { plan = try Plan(batch: input.shape[0], kernel: self) }
        let plan = plan!
        let source = try plan.sourceAdapter.adapt(input)
        let weights = try plan.weightsForForward.adapt(weight)
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, plan.output)]
        if let bias { arguments.append((DNNL_ARG_BIAS, bias)) }
        try plan.forward.execute(arguments)
        return (plan.output, source)
    }

    // dy: (N, O) -> dx: (N, I); dW, db accumulate
    /// The input gradient (kept by this kernel, overwritten on its next call) for `source` (the
    /// forward's); adds dW and db to `weightGradient` and `biasGradient` when given.
    /// - Throws: `TensorError.shapeMismatch` for a gradient of another shape, or before a forward.
    public func backward(_ gradientOutput: Tensor, source: Tensor, weight: Tensor,
                         weightGradient: Tensor?, biasGradient: Tensor?) throws -> Tensor {
        guard let plan else { throw TensorError.shapeMismatch("inner product backward before forward") }
        guard gradientOutput.shape == plan.output.shape else {
            throw TensorError.shapeMismatch("Linear.backward expects a gradient of shape \(plan.output.shape), got \(gradientOutput.shape)")
        }
        let gradient = try plan.gradientAdapter.adapt(gradientOutput)
        if weightGradient != nil || biasGradient != nil {
            var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_DIFF_DST, gradient),
                                                (DNNL_ARG_DIFF_WEIGHTS, plan.weightGradient)]
            if let planBias = plan.biasGradient { arguments.append((DNNL_ARG_DIFF_BIAS, planBias)) }
            try plan.backwardWeights.execute(arguments)
            if let weightGradient { try weightGradient.accumulate(plan.weightGradient) }
            if let biasGradient, let planBias = plan.biasGradient { try biasGradient.accumulate(planBias) }
        }
        let weights = try plan.weightsForData.adapt(weight)
        try plan.backwardData.execute([(DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_WEIGHTS, weights),
                                       (DNNL_ARG_DIFF_SRC, plan.inputGradient)])
        return plan.inputGradient
    }

    final class Plan {
        let batch: Int
        let forward: Primitive
        let backwardData: Primitive
        let backwardWeights: Primitive
        let sourceAdapter: LayoutAdapter
        let gradientAdapter: LayoutAdapter
        let weightsForForward: WeightAdapter
        let weightsForData: WeightAdapter
        let output: Tensor
        let inputGradient: Tensor
        let weightGradient: Tensor
        let biasGradient: Tensor?

        init(batch: Int, kernel: InnerProductKernel) throws {
            self.batch = batch
            let hasBias = kernel.hasBias
            var source = try MemoryDescriptor.plain([batch, kernel.inputFeatures])
            var weights = try MemoryDescriptor.any([kernel.outputFeatures, kernel.inputFeatures])
            var bias = try MemoryDescriptor.plain([kernel.outputFeatures])
            var destination = try MemoryDescriptor.plain([batch, kernel.outputFeatures])
            var operation = dnnl_inner_product_desc_t()
            try withOptionalPointer(&bias, present: hasBias) { bias in
                try checkDNNL(dnnl_inner_product_forward_desc_init(&operation, dnnl_forward_training, &source, &weights, bias,
                                                                   &destination), "dnnl_inner_product_forward_desc_init")
            }
            forward = try Primitive("inner product forward", operation: operation)
            var dataOperation = dnnl_inner_product_desc_t()
            try checkDNNL(dnnl_inner_product_backward_data_desc_init(&dataOperation, &source, &weights, &destination),
                          "dnnl_inner_product_backward_data_desc_init")
            backwardData = try Primitive("inner product backward data", operation: dataOperation, hint: forward)
            var weightsOperation = dnnl_inner_product_desc_t()
            var diffWeights = try MemoryDescriptor.plain([kernel.outputFeatures, kernel.inputFeatures])
            try withOptionalPointer(&bias, present: hasBias) { bias in
                try checkDNNL(dnnl_inner_product_backward_weights_desc_init(&weightsOperation, &source, &diffWeights, bias,
                                                                            &destination), "dnnl_inner_product_backward_weights_desc_init")
            }
            backwardWeights = try Primitive("inner product backward weights", operation: weightsOperation, hint: forward)
            sourceAdapter = LayoutAdapter(target: source)
            gradientAdapter = LayoutAdapter(target: destination)
            weightsForForward = WeightAdapter(target: forward.memoryDescriptor(dnnl_query_weights_md))
            weightsForData = WeightAdapter(target: backwardData.memoryDescriptor(dnnl_query_weights_md))
            output = try Tensor(descriptor: destination)
            inputGradient = try Tensor(descriptor: source)
            weightGradient = try Tensor(descriptor: backwardWeights.memoryDescriptor(dnnl_query_diff_weights_md))
            biasGradient = hasBias ? try Tensor(descriptor: backwardWeights.memoryDescriptor(dnnl_query_diff_weights_md, index: 1)) : nil
        }
    }
}
