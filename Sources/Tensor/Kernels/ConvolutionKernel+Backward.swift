internal import CDNNL

extension ConvolutionKernel {
    /// The backward primitives of one training plan, made at the first backward: a primitive
    /// keeps the thread count it was made under, and backward runs with half the threads inside
    /// an overlapped backward pass.
    final class BackwardPlan {
        let data: Primitive
        let weights: Primitive
        let reluBackward: Primitive?
        let outputDescriptor: dnnl_memory_desc_t
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

        init(_ plan: Plan, parameters: ConvolutionParameters) throws {
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

            outputDescriptor = plan.outputDescriptor
            gradientAdapter = LayoutAdapter(target: outputDescriptor)
            reluBackward = plan.fusesReLU ? try ReLUBackward.primitive(for: outputDescriptor) : nil
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
            let forwardSource = plan.forward.memoryDescriptor(dnnl_query_src_md)
            if WinogradWeightGradient.supports(parameters),
               WinogradWeightGradient.layout(of: forwardSource) != nil,
               WinogradWeightGradient.layout(of: outputDescriptor) != nil {
                winogradSource = LayoutAdapter(target: forwardSource)
            } else {
                winogradSource = nil
            }
        }
    }
}
