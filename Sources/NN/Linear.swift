import Random
import CDNNL
import Tensor

/// y = x·Wᵀ + b on oneDNN's inner product, as `torch.nn.Linear`; parameters `weight` (O, I) and
/// `bias` (O) use torch's names. Input and output are plain (N, features).
public final class Linear: Layer {
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true

    private var plan: Plan?
    private var lastInput: Tensor?

    /// - Throws: `TensorError.invalidArgument` for non-positive feature counts.
    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, seed: UInt64 = 0) throws {
        guard inputFeatures > 0, outputFeatures > 0 else {
            throw TensorError.invalidArgument("Linear needs positive feature counts, got \(inputFeatures) -> \(outputFeatures)")
        }
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        var random = SplitMix64(layerSeed: seed)
        let bound = 1 / Float(inputFeatures).squareRoot()
        weight = try Parameter(shape: [outputFeatures, inputFeatures],
                               values: random.values(count: outputFeatures * inputFeatures, bound: bound))
        self.bias = bias ? try Parameter(shape: [outputFeatures], values: random.values(count: outputFeatures, bound: bound)) : nil
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    // x: (N, I) -> y: (N, O)
    public func forward(_ input: Tensor) throws -> Tensor {
        try requireShape(input, rank: 2, channels: inputFeatures, layer: "Linear")
        if plan == nil || plan!.batch != input.shape[0] { plan = try Plan(batch: input.shape[0], layer: self) }
        let plan = plan!
        let source = try plan.sourceAdapter.adapt(input)
        let weights = try plan.weightsForForward.adapt(weight.value)
        var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weights),
                                            (DNNL_ARG_DST, plan.output)]
        if let bias { arguments.append((DNNL_ARG_BIAS, bias.value)) }
        try plan.forward.execute(arguments)
        lastInput = source
        return plan.output
    }

    // dy: (N, O) -> dx: (N, I); dW, db accumulate
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let plan, let input = lastInput else { throw LayerError.backwardBeforeForward("Linear") }
        guard gradientOutput.shape == plan.output.shape else {
            throw TensorError.shapeMismatch("Linear.backward expects a gradient of shape \(plan.output.shape), got \(gradientOutput.shape)")
        }
        let gradient = try plan.gradientAdapter.adapt(gradientOutput)
        if weight.isTrainable || (bias?.isTrainable ?? false) {
            var arguments: [(Int32, Tensor)] = [(DNNL_ARG_SRC, input), (DNNL_ARG_DIFF_DST, gradient),
                                                (DNNL_ARG_DIFF_WEIGHTS, plan.weightGradient)]
            if let biasGradient = plan.biasGradient { arguments.append((DNNL_ARG_DIFF_BIAS, biasGradient)) }
            try plan.backwardWeights.execute(arguments)
            if weight.isTrainable { try weight.gradient.accumulate(plan.weightGradient) }
            if let bias, bias.isTrainable, let biasGradient = plan.biasGradient { try bias.gradient.accumulate(biasGradient) }
        }
        let weights = try plan.weightsForData.adapt(weight.value)
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

        // Plain layouts throughout: the tensors are small, and plain (N, F) is what callers read.
        init(batch: Int, layer: Linear) throws {
            self.batch = batch
            let hasBias = layer.bias != nil
            var source = try MemoryDescriptor.plain([batch, layer.inputFeatures])
            var weights = try MemoryDescriptor.any([layer.outputFeatures, layer.inputFeatures])
            var bias = try MemoryDescriptor.plain([layer.outputFeatures])
            var destination = try MemoryDescriptor.plain([batch, layer.outputFeatures])
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
            var diffWeights = try MemoryDescriptor.plain([layer.outputFeatures, layer.inputFeatures])
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
