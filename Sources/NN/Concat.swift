import CDNNL
import Tensor

/// Concatenation along the channel axis (DenseNet's torch.cat(features, 1)) on oneDNN's concat
/// primitive; backward hands each input its slice of the gradient, in that input's layout.
public final class Concat: Module {
    public var isTraining = true

    private var inputDescriptors: [dnnl_memory_desc_t] = []
    private var primitive: Primitive?
    /// The shape of the last recorded output (backward needs no values of it).
    private var recordedShape: [Int]?
    private var outputDescriptor: dnnl_memory_desc_t?
    private var slices: [Slice] = []
    private var ranUnrecorded = false

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
        // Unrecorded evaluation: a new output each call (pooled), nothing kept for backward.
        let recording = GradientRecording.isRecording(training: isTraining)
        ranUnrecorded = !recording
        let output = try Tensor(descriptor: outputDescriptor!, zeroed: false)
        recordedShape = recording ? output.shape : nil
        var arguments: [(Int32, Tensor)] = inputs.enumerated().map { (DNNL_ARG_MULTIPLE_SRC + Int32($0.offset), $0.element) }
        arguments.append((DNNL_ARG_DST, output))
        try primitive!.execute(arguments)
        return output
    }

    /// The gradient of each input, in the input's layout (new tensors each call, buffers pooled).
    public func backward(_ gradientOutput: Tensor) throws -> [Tensor] {
        guard let outputShape = recordedShape, !ranUnrecorded else { throw LayerError.backwardWithoutRecord("Concat", ranUnrecorded) }
        guard gradientOutput.shape == outputShape else {
            throw TensorError.shapeMismatch("Concat.backward expects a gradient of shape \(outputShape), got \(gradientOutput.shape)")
        }
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
            var parent = descriptor
            var view = dnnl_memory_desc_t()
            var dims = shape.map(Int64.init)
            var offsets = [Int64](repeating: 0, count: shape.count)
            offsets[1] = Int64(offset)
            try checkDNNL(dnnl_memory_desc_init_submemory(&view, &parent, &dims, &offsets), "dnnl_memory_desc_init_submemory")
            views.append(view)
            offset += shape[1]
        }
        return views
    }

    private func makeSlices(of descriptor: dnnl_memory_desc_t) throws -> [Slice] {
        try zip(makeViews(of: descriptor), inputDescriptors).map { Slice(view: $0, target: $1) }
    }
}

