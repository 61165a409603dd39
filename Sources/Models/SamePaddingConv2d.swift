import CDNNL
import NN
import Tensor

/// A convolution padded as TensorFlow's "same" (the package's `Conv2dDynamicSamePadding`):
/// the output is ceil(input / stride) and the padding needed for it, p = max((out − 1)·s + k − in, 0),
/// goes p/2 before and the rest after — asymmetric for stride 2 on even sizes (k = 3: 0 and 1;
/// k = 5: 1 and 2).
///
/// Stride 1 (symmetric for odd kernels) uses `Conv2d`'s padding; stride 2 uses its separate
/// start and end padding set for even sizes (every stride-2 input when the image side is a
/// multiple of 32). An odd size needs one more zero row or column before the image: it is
/// copied into the interior of a zero-bordered buffer by a oneDNN reorder into a sub-memory view
/// (exact; the border is zeroed once per shape), and backward takes the interior of the padded
/// input's gradient the same way. Parameter names are the convolution's (`weight`, `bias`).
public final class SamePaddingConv2d: Layer {
    public let convolution: Conv2d
    public let kernelSize: Int
    public let stride: Int
    public var isTraining = true {
        didSet { convolution.isTraining = isTraining }
    }

    private var plan: PaddingPlan?
    private var usedPadding = false

    /// - Throws: `TensorError.invalidArgument` for a stride other than 1 or 2, or an even kernel.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, groups: Int = 1,
                bias: Bool = false, seed: UInt64 = 0) throws {
        guard stride == 1 || stride == 2, kernelSize % 2 == 1 else {
            throw TensorError.invalidArgument("SamePaddingConv2d takes stride 1 or 2 and an odd kernel, got stride \(stride), kernel \(kernelSize)")
        }
        self.kernelSize = kernelSize
        self.stride = stride
        // Padding for stride 1, or for an even size at stride 2.
        let before = stride == 1 ? (kernelSize - 1) / 2 : Self.padding(size: 2, kernelSize: kernelSize, stride: 2).before
        let after = stride == 1 ? before : Self.padding(size: 2, kernelSize: kernelSize, stride: 2).after
        convolution = try Conv2d(inputChannels: inputChannels, outputChannels: outputChannels,
                                 kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: (before, before),
                                 paddingEnd: (after, after), groups: groups, bias: bias, seed: seed)
    }

    public var localParameters: [(name: String, parameter: Parameter)] { convolution.localParameters }

    /// TensorFlow's "same" padding (before, after) along one axis of `size`.
    public static func padding(size: Int, kernelSize: Int, stride: Int) -> (before: Int, after: Int) {
        let output = (size + stride - 1) / stride
        let total = max((output - 1) * stride + kernelSize - size, 0)
        return (total / 2, total - total / 2)
    }

    // x: (N, C_in, H, W) -> y: (N, C_out, ceil(H/stride), ceil(W/stride))
    public func forward(_ input: Tensor) throws -> Tensor {
        try convolution.forward(paddedInput(input))
    }

    /// The convolution with a batch norm folded in and an activation fused, for unrecorded
    /// evaluation (`Conv2d.forward(_:fusing:)`), padded as `forward(_:)`.
    public func forward(_ input: Tensor, fusing fusion: ConvolutionFusion) throws -> Tensor {
        try convolution.forward(paddedInput(input), fusing: fusion)
    }

    /// `input`, or a copy with the extra zero row/column an odd side needs at stride 2.
    private func paddedInput(_ input: Tensor) throws -> Tensor {
        guard stride == 2, input.shape.count == 4, input.shape[2] % 2 == 1 || input.shape[3] % 2 == 1 else {
            usedPadding = false
            return input
        }
        // An odd side needs (k − 1)/2 on both sides; the convolution pads (k − 3)/2 before and
        // (k − 1)/2 after, so one extra zero row/column goes before.
        let vertical = (input.shape[2] % 2, 0), horizontal = (input.shape[3] % 2, 0)
        if plan == nil || !MemoryDescriptor.equal(plan!.inputDescriptor, input.descriptor) {
            plan = try PaddingPlan(input: input, vertical: vertical, horizontal: horizontal)
        }
        try plan!.fill.run(from: input, to: plan!.interior)
        usedPadding = true
        return plan!.padded
    }

    // dy: (N, C_out, H', W') -> dx: (N, C_in, H, W)
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        let gradient = try convolution.backward(gradientOutput)
        guard usedPadding, let plan else { return gradient }
        return try plan.interiorGradient(of: gradient)
    }

    /// Buffers and reorders for one input shape and layout.
    final class PaddingPlan {
        let inputDescriptor: dnnl_memory_desc_t
        /// Zero-bordered input in the input's channel blocking, and a view of its interior.
        let padded: Tensor
        let interior: Tensor
        let fill: Reorder
        let offsets: [Int64]
        private var gradientExtraction: (source: dnnl_memory_desc_t, view: Tensor, reorder: Reorder)?
        private let inputGradient: Tensor

        init(input: Tensor, vertical: (before: Int, after: Int), horizontal: (before: Int, after: Int)) throws {
            inputDescriptor = input.descriptor
            let shape = input.shape
            let paddedShape = [shape[0], shape[1], shape[2] + vertical.before + vertical.after,
                               shape[3] + horizontal.before + horizontal.after]
            let paddedDescriptor = input.isPlain ? try MemoryDescriptor.plain(paddedShape)
                : try MemoryDescriptor.channelBlocked(paddedShape, block: 16)
            padded = try Tensor(descriptor: paddedDescriptor)  // zero-filled: the border stays zero
            offsets = [0, 0, Int64(vertical.before), Int64(horizontal.before)]
            interior = try Tensor(partOf: padded, descriptor: Self.submemory(of: paddedDescriptor, shape: shape, offsets: offsets))
            fill = try Reorder(from: input.descriptor, to: interior.descriptor)
            inputGradient = try Tensor(descriptor: input.descriptor)
        }

        static func submemory(of parent: dnnl_memory_desc_t, shape: [Int], offsets: [Int64]) throws -> dnnl_memory_desc_t {
            var parent = parent
            var result = dnnl_memory_desc_t()
            // dnnl_dims_t holds DNNL_MAX_NDIMS (12) entries, which oneDNN reads through these arrays.
            precondition(shape.count <= 12 && offsets.count <= 12, "at most 12 dimensions, got \(shape.count) and \(offsets.count)")
            var dimensions = [Int64](repeating: 0, count: 12)
            var starts = [Int64](repeating: 0, count: 12)
            for (index, size) in shape.enumerated() { dimensions[index] = Int64(size) }
            for (index, start) in offsets.enumerated() { starts[index] = start }
            try checkDNNL(dnnl_memory_desc_init_submemory(&result, &parent, &dimensions, &starts),
                          "dnnl_memory_desc_init_submemory")
            return result
        }

        /// The gradient of the unpadded input: the interior of the padded input's gradient.
        func interiorGradient(of gradient: Tensor) throws -> Tensor {
            if gradientExtraction == nil || !MemoryDescriptor.equal(gradientExtraction!.source, gradient.descriptor) {
                let view = try Tensor(partOf: gradient, descriptor: Self.submemory(of: gradient.descriptor,
                                                                                   shape: inputGradient.shape, offsets: offsets))
                gradientExtraction = (gradient.descriptor, view, try Reorder(from: view.descriptor, to: inputGradient.descriptor))
            }
            let extraction = gradientExtraction!
            if extraction.view.data != gradient.data {
                // A new gradient buffer with the same layout: view it afresh.
                let view = try Tensor(partOf: gradient, descriptor: extraction.view.descriptor)
                gradientExtraction = (gradient.descriptor, view, extraction.reorder)
            }
            try gradientExtraction!.reorder.run(from: gradientExtraction!.view, to: inputGradient)
            return inputGradient
        }
    }
}
