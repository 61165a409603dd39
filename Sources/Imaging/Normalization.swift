/// How [0, 255] gray values become network inputs.
public enum Normalization: Sendable, Equatable {
    /// Three identical channels, each (v / 255 − mean_c) / std_c with ImageNet's statistics
    /// (mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225): what ImageNet-pretrained backbones
    /// expect.
    case imageNet
    /// One channel, (v / 255 − mean) / standardDeviation.
    case singleChannel(mean: Float, standardDeviation: Float)

    public static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imageNetStandardDeviation: [Float] = [0.229, 0.224, 0.225]

    /// Output channels: 3 for `.imageNet`, 1 for `.singleChannel`.
    public var channels: Int {
        switch self {
        case .imageNet: return 3
        case .singleChannel: return 1
        }
    }

    /// Per channel, `scale` and `offset` such that output = v · scale + offset for v in [0, 255].
    var affine: [(scale: Float, offset: Float)] {
        switch self {
        case .imageNet:
            return (0..<3).map { c in
                let std = Normalization.imageNetStandardDeviation[c], mean = Normalization.imageNetMean[c]
                return (1 / (255 * std), -mean / std)
            }
        case let .singleChannel(mean, standardDeviation):
            return [(1 / (255 * standardDeviation), -mean / standardDeviation)]
        }
    }

    // values: (H·W) in [0, 255]; output: (C, H, W).
    /// Writes the normalized channels of `values` into `output` (`channels * values.count`).
    func apply(_ values: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        let count = values.count
        precondition(output.count >= channels * count)
        for (c, transform) in affine.enumerated() {
            let destination = output.baseAddress! + c * count
            let scale = transform.scale, offset = transform.offset
            for i in 0..<count { destination[i] = values[i] * scale + offset }
        }
    }
}
