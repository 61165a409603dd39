/// How much a backbone reduces its input: 32 (the networks as published: a 256² film gives 8×8
/// feature maps) or 16, where the last stage that would halve the maps runs at stride 1 and the
/// convolutions after it are dilated by 2 (DeepLab's atrous "output stride 16", as
/// torchvision's `replace_stride_with_dilation` for ResNet's last stage): a 256² film gives
/// 16×16 maps, and so 16×16 class activation maps, from the same weights (dilation changes no
/// weight shape).
public enum OutputStride: Int, CaseIterable, Codable, Sendable {
    case sixteen = 16
    case thirtyTwo = 32

    /// Parses a stride given as a number.
    /// - Throws: `ArchitectureError.unsupportedOutputStride` for anything but 16 or 32.
    public init(value: Int) throws {
        guard let stride = OutputStride(rawValue: value) else { throw ArchitectureError.unsupportedOutputStride(value) }
        self = stride
    }

    /// Side of the feature maps for an input of `inputSize` (rounded up, as "same" padding does).
    public func featureSize(inputSize: Int) -> Int { (inputSize + rawValue - 1) / rawValue }

    /// Stride and dilation of each downsampling step of a backbone, in order, for the steps
    /// with the given strides (the stem's included): where the product of the strides so far
    /// would pass `rawValue`, the step runs at stride 1 and every later convolution is dilated
    /// by the stride it dropped. `dilationAfter` is the dilation of the convolutions after the
    /// step; the step itself keeps `dilationBefore` (DeepLab's convention).
    func plan(strides: [Int]) -> [(stride: Int, dilationBefore: Int, dilationAfter: Int)] {
        var reduction = 1, dilation = 1
        return strides.map { stride in
            let before = dilation
            if stride > 1, reduction * stride > rawValue {
                dilation *= stride
                return (1, before, dilation)
            }
            reduction *= stride
            return (stride, before, dilation)
        }
    }
}
