internal import CDNNL
import Dispatch

/// Concatenation along the channel axis (DenseNet's torch.cat(features, 1)) on oneDNN's concat
/// primitive; backward hands each input its slice of the gradient, in that input's layout, or
/// adds the slices into gradients the caller holds.
public final class ConcatKernel {
    private var inputDescriptors: [dnnl_memory_desc_t] = []
    private var primitive: Primitive?
    private var outputDescriptor: dnnl_memory_desc_t?
    private var slices: [Slice] = []

    /// One input's part of the gradient: a sub-memory view of the gradient and a reorder to the input's layout.
    private final class Slice {
        let view: dnnl_memory_desc_t
        let target: dnnl_memory_desc_t
        var reorder: Reorder?
        var gradientDescriptor: dnnl_memory_desc_t?
        init(view: dnnl_memory_desc_t, target: dnnl_memory_desc_t) {
            self.view = view
            self.target = target
        }
    }

    public init() {}

    // inputs: (N, C_i, H, W) -> (N, ΣC_i, H, W)
    /// A new output (pooled buffer) each call, in the layout oneDNN picks for the inputs' layouts.
    /// - Throws: `TensorError.invalidArgument` for no inputs, `.shapeMismatch` for inputs that
    ///   differ in more than their channels.
    public func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard let first = inputs.first else { throw TensorError.invalidArgument("Concat needs at least one input") }
        for input in inputs {
            guard input.shape.count == first.shape.count, input.shape.count >= 2,
                  input.shape[0] == first.shape[0], input.shape.dropFirst(2) == first.shape.dropFirst(2) else {
                throw TensorError.shapeMismatch("Concat inputs must agree except in channels, got \(inputs.map(\.shape))")
            }
        }
        let same = inputDescriptors.count == inputs.count
            && zip(inputDescriptors, inputs).allSatisfy { MemoryDescriptor.equal($0, $1.descriptor) }
        if !same {
            var sources = inputs.map(\.descriptor)
            var descriptor: dnnl_primitive_desc_t?
            let attributes = try PrimitiveAttributes([])
            try checkDNNL(dnnl_concat_primitive_desc_create(&descriptor, nil, Int32(sources.count), 1, &sources, attributes.handle,
                                                            Context.shared.engine), "dnnl_concat_primitive_desc_create")
            primitive = try Primitive("concat", descriptor: descriptor!)
            outputDescriptor = primitive!.memoryDescriptor(dnnl_query_dst_md)
            inputDescriptors = sources
            slices = []
        }
        let output = try Tensor(descriptor: outputDescriptor!, zeroed: false)
        var arguments: [(Int32, Tensor)] = inputs.enumerated().map { (DNNL_ARG_MULTIPLE_SRC + Int32($0.offset), $0.element) }
        arguments.append((DNNL_ARG_DST, output))
        try primitive!.execute(arguments)
        return output
    }

    /// The gradient of each input of the last forward, in the input's layout (new tensors each
    /// call, buffers pooled).
    /// - Throws: `TensorError.shapeMismatch` for a gradient of another shape than the last output.
    public func backward(_ gradientOutput: Tensor) throws -> [Tensor] {
        try checkGradient(gradientOutput)
        // Blocked layouts can be sliced only at block boundaries; other cases go through a plain copy.
        var source = gradientOutput
        if slices.isEmpty || !MemoryDescriptor.equal(slices[0].gradientDescriptor!, gradientOutput.descriptor) {
            if !canSlice(gradientOutput.descriptor) { source = try plainCopy(gradientOutput) }
            slices = try makeSlices(of: source.descriptor)
            for slice in slices { slice.gradientDescriptor = gradientOutput.descriptor }
        } else if !canSlice(gradientOutput.descriptor) {
            source = try plainCopy(gradientOutput)
        }
        var results: [Tensor] = []
        for slice in slices {
            let view = try Tensor(partOf: source, descriptor: slice.view)
            if slice.reorder == nil { slice.reorder = try Reorder(from: slice.view, to: slice.target) }
            let gradient = try Tensor(descriptor: slice.target, zeroed: false)
            try slice.reorder!.run(from: view, to: gradient)
            results.append(gradient)
        }
        return results
    }

    /// Adds each input's slice of the gradient into `targets[k]` (input k's shape, any layout),
    /// without copying the slice out first (DenseNet: each dense layer's input gradient goes into
    /// the gradients of all the maps it read): a vector add per image when the gradient and the
    /// targets share the channel blocking and every slice starts and ends on a block boundary,
    /// else one reorder with a sum post-operation per input from a view of its slice.
    /// - Throws: `TensorError.shapeMismatch` for a wrong gradient shape or target count/shape.
    public func backward(_ gradientOutput: Tensor, accumulatingInto targets: [Tensor]) throws {
        try checkGradient(gradientOutput)
        let outputShape = gradientOutput.shape
        guard targets.count == inputDescriptors.count,
              zip(targets, inputDescriptors).allSatisfy({ $0.shape == MemoryDescriptor.shape(of: $1) }) else {
            throw TensorError.shapeMismatch("Concat.backward expects a gradient of shape \(outputShape) and targets of shapes \(inputDescriptors.map { MemoryDescriptor.shape(of: $0) }), got \(gradientOutput.shape) and \(targets.map(\.shape))")
        }
        if let sourceLayout = ChannelBlockedLayout(gradientOutput.descriptor) {
            // Equal channel blocking and slices on block boundaries: per image, each slice is one
            // contiguous run in both tensors — a plain vector add (oneDNN's reorder with a sum
            // post-operation from a sub-memory view is a generic loop: 2.6× slower here).
            var offset = 0
            let layouts = targets.map { ChannelBlockedLayout($0.descriptor) }
            if zip(layouts, targets).allSatisfy({ layout, target in
                defer { offset += target.shape[1] }
                guard let layout else { return false }
                return layout.block == sourceLayout.block && offset % layout.block == 0 && target.shape[1] % layout.block == 0
            }) {
                var channel = 0
                for (target, layout) in zip(targets, layouts) {
                    // Each tensor's whole buffer in its layout (addSlice checks the slice fits the gradient).
                    ConcatKernel.addSlice(of: gradientOutput.floats(count: sourceLayout.floatCount), sourceLayout, channel: channel,
                                    into: target.floats(count: layout!.floatCount), layout!)
                    channel += target.shape[1]
                }
                return
            }
        }
        var source = gradientOutput
        if !canSlice(gradientOutput.descriptor) { source = try plainCopy(gradientOutput) }
        let views = try makeViews(of: source.descriptor)
        if accumulators.count != views.count { accumulators = Array(repeating: nil, count: views.count) }
        for (index, (view, target)) in zip(views, targets).enumerated() {
            if accumulators[index] == nil || !MemoryDescriptor.equal(accumulators[index]!.source.descriptor, view)
                || accumulators[index]!.destination != target.layout {
                accumulators[index] = try Reorder(from: view, to: target.descriptor, accumulate: true)
            }
            try accumulators[index]!.run(from: Tensor(partOf: source, descriptor: view), to: target)
        }
    }

    private var accumulators: [Reorder?] = []

    /// Throws unless `gradient` has the shape of the last forward's output.
    private func checkGradient(_ gradient: Tensor) throws {
        guard let outputDescriptor else { throw TensorError.shapeMismatch("Concat.backward before forward") }
        let outputShape = MemoryDescriptor.shape(of: outputDescriptor)
        guard gradient.shape == outputShape else {
            throw TensorError.shapeMismatch("Concat.backward expects a gradient of shape \(outputShape), got \(gradient.shape)")
        }
    }

    // source: (N, C, H, W), target: (N, C_k, H, W), same channel blocking -> target += source[:, channel ..< channel + C_k]
    // (channel and C_k multiples of the block), one contiguous run per image; images split over threads.
    static func addSlice(of source: UnsafePointer<Float>, _ sourceLayout: ChannelBlockedLayout, channel: Int,
                         into target: UnsafeMutablePointer<Float>, _ targetLayout: ChannelBlockedLayout) {
        // source holds sourceLayout.floatCount floats, target targetLayout.floatCount (the caller
        // checks); the slice must lie within the source's channel blocks, image by image.
        precondition(sourceLayout.block == targetLayout.block && channel % sourceLayout.block == 0
                     && channel / sourceLayout.block + targetLayout.channelBlocks <= sourceLayout.channelBlocks
                     && sourceLayout.batch == targetLayout.batch && sourceLayout.plane == targetLayout.plane,
                     "Concat.addSlice: channels from \(channel) of \(targetLayout.channels) do not fit \(sourceLayout.channels)")
        let run = targetLayout.channelBlocks * targetLayout.plane * targetLayout.block
        let parts = min(Context.threadCount, targetLayout.batch)
        func add(images: Range<Int>) {
            for image in images {
                let from = source + sourceLayout.offset(image, channel / sourceLayout.block)
                let to = target + targetLayout.offset(image, 0)
                // `run` floats from each start: within both buffers by the precondition above.
                var index = 0
                while index + 8 <= run {
                    let sum = UnsafeRawPointer(to + index).loadUnaligned(as: SIMD8<Float>.self)
                        + UnsafeRawPointer(from + index).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(to + index).storeBytes(of: sum, as: SIMD8<Float>.self)
                    index += 8
                }
                while index < run {
                    to[index] += from[index]
                    index += 1
                }
            }
        }
        if parts <= 1 { return add(images: 0 ..< targetLayout.batch) }
        concurrentPerform(parts: parts) { part in
            add(images: targetLayout.batch * part / parts ..< targetLayout.batch * (part + 1) / parts)
        }
    }

    private var plainGradient: Tensor?
    private func plainCopy(_ tensor: Tensor) throws -> Tensor {
        if plainGradient == nil || plainGradient!.shape != tensor.shape { plainGradient = try Tensor(zeros: tensor.shape) }
        try plainGradient!.copy(from: tensor)
        return plainGradient!
    }

    private func canSlice(_ descriptor: dnnl_memory_desc_t) -> Bool {
        (try? makeViews(of: descriptor)) != nil
    }

    private func makeViews(of descriptor: dnnl_memory_desc_t) throws -> [dnnl_memory_desc_t] {
        var offset = 0
        var views: [dnnl_memory_desc_t] = []
        for input in inputDescriptors {
            let shape = MemoryDescriptor.shape(of: input)
            var offsets = [Int](repeating: 0, count: shape.count)
            offsets[1] = offset
            views.append(try MemoryDescriptor.part(of: descriptor, shape: shape, offsets: offsets))
            offset += shape[1]
        }
        return views
    }

    private func makeSlices(of descriptor: dnnl_memory_desc_t) throws -> [Slice] {
        try zip(makeViews(of: descriptor), inputDescriptors).map { Slice(view: $0, target: $1) }
    }
}

