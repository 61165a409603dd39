/// Zero padding as a copy: the input written into the interior of a zero-bordered buffer by a
/// oneDNN reorder into a sub-memory view (exact; the border is zeroed once per shape), and
/// backward's gradient taken back from the interior of the padded input's gradient the same
/// way — for a padding a convolution's own cannot express (TensorFlow's "same" padding puts
/// one more zero row or column before an odd-sized input at stride 2).
public final class ZeroPaddingKernel {
    private var plan: Plan?

    public init() {}

    // x: (N, C, H, W) -> (N, C, H + top + bottom, W + left + right), zero border
    /// The padded input: a buffer this kernel keeps and overwrites on its next call, plain for a
    /// plain input and nChw16c otherwise.
    /// - Throws: `TensorError.invalidArgument` for an input that is not 4-D.
    public func forward(_ input: Tensor, before: (height: Int, width: Int), after: (height: Int, width: Int)) throws -> Tensor {
        guard input.shape.count == 4 else { throw TensorError.invalidArgument("zero padding needs an (N, C, H, W) input, got \(input.shape)") }
        let offsets = [0, 0, before.height, before.width]
        if plan == nil || plan!.inputLayout != input.layout || plan!.offsets != offsets
            || plan!.padded.shape != [input.shape[0], input.shape[1], input.shape[2] + before.height + after.height,
                                      input.shape[3] + before.width + after.width] {
            plan = try Plan(input: input, offsets: offsets, after: [after.height, after.width])
        }
        try plan!.fill.run(from: input, to: plan!.interior)
        return plan!.padded
    }

    // dy: gradient of the padded input -> dx: (N, C, H, W), the input's layout
    /// The gradient of the unpadded input of the last forward: the interior of `gradient` (a
    /// tensor this kernel keeps and overwrites on its next call).
    /// - Throws: `TensorError.invalidArgument` before a forward; `.shapeMismatch` for a
    ///   gradient of another shape than the padded input.
    public func backward(_ gradient: Tensor) throws -> Tensor {
        guard let plan else { throw TensorError.invalidArgument("zero padding backward before forward") }
        guard gradient.shape == plan.padded.shape else {
            throw TensorError.shapeMismatch("zero padding backward expects a gradient of shape \(plan.padded.shape), got \(gradient.shape)")
        }
        return try plan.interiorGradient(of: gradient)
    }

    /// Buffers and reorders for one input shape and layout.
    final class Plan {
        let inputLayout: Tensor.Layout
        let offsets: [Int]
        /// Zero-bordered input in the input's channel blocking, and a view of its interior.
        let padded: Tensor
        let interior: Tensor
        let fill: Reorder
        private var gradientExtraction: (source: Tensor.Layout, view: Tensor, reorder: Reorder)?
        private let inputGradient: Tensor

        init(input: Tensor, offsets: [Int], after: [Int]) throws {
            inputLayout = input.layout
            self.offsets = offsets
            let shape = input.shape
            let paddedShape = [shape[0], shape[1], shape[2] + offsets[2] + after[0], shape[3] + offsets[3] + after[1]]
            let paddedLayout = input.isPlain ? try Tensor.Layout.plain(paddedShape) : try Tensor.Layout.channelBlocked(paddedShape, block: 16)
            padded = try Tensor(layout: paddedLayout)  // zero-filled: the border stays zero
            interior = try Tensor(partOf: padded, layout: paddedLayout.part(shape: shape, offsets: offsets))
            fill = try Reorder(from: input.layout, to: interior.layout)
            inputGradient = try Tensor(layout: input.layout)
        }

        /// The gradient of the unpadded input: the interior of the padded input's gradient.
        func interiorGradient(of gradient: Tensor) throws -> Tensor {
            if gradientExtraction == nil || gradientExtraction!.source != gradient.layout {
                let view = try Tensor(partOf: gradient, layout: gradient.layout.part(shape: inputGradient.shape, offsets: offsets))
                gradientExtraction = (gradient.layout, view, try Reorder(from: view.layout, to: inputGradient.layout))
            }
            let extraction = gradientExtraction!
            if extraction.view.data != gradient.data {
                // A new gradient buffer with the same layout: view it afresh.
                let view = try Tensor(partOf: gradient, layout: extraction.view.layout)
                gradientExtraction = (gradient.layout, view, extraction.reorder)
            }
            try gradientExtraction!.reorder.run(from: gradientExtraction!.view, to: inputGradient)
            return inputGradient
        }
    }
}
