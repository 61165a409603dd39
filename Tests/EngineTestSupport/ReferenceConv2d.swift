/// Plain double-precision convolution, forward and backward, written from the definition;
/// the twin of `Conv2d` used only by tests.
public struct ReferenceConv2d {
    public let inputShape: [Int]  // N, C, H, W
    public let outputChannels: Int
    public let kernel: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int
    /// Padding after (bottom, right) when it differs from `padding` (TensorFlow's "same").
    public var paddingEnd: (Int, Int)? = nil

    public init(inputShape: [Int], outputChannels: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                dilation: (Int, Int), groups: Int, paddingEnd: (Int, Int)? = nil) {
        self.inputShape = inputShape
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.paddingEnd = paddingEnd
    }

    public var outputShape: [Int] {
        let end = paddingEnd ?? padding
        let h = (inputShape[2] + padding.0 + end.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1
        let w = (inputShape[3] + padding.1 + end.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1
        return [inputShape[0], outputChannels, h, w]
    }

    /// Calls body(n, o, oh, ow, c, kh, kw, inputIndex, weightIndex, outputIndex) for every term of the sum.
    private func forEachTerm(_ body: (Int, Int, Int) -> Void) {
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let out = outputShape
        let inPerGroup = c / groups, outPerGroup = outputChannels / groups
        for b in 0..<n { for o in 0..<outputChannels {
            let g = o / outPerGroup
            for oh in 0..<out[2] { for ow in 0..<out[3] {
                let outputIndex = ((b * outputChannels + o) * out[2] + oh) * out[3] + ow
                for ci in 0..<inPerGroup { for kh in 0..<kernel.0 { for kw in 0..<kernel.1 {
                    let ih = oh * stride.0 - padding.0 + kh * dilation.0
                    let iw = ow * stride.1 - padding.1 + kw * dilation.1
                    guard ih >= 0, ih < h, iw >= 0, iw < w else { continue }
                    let inputIndex = ((b * c + g * inPerGroup + ci) * h + ih) * w + iw
                    let weightIndex = ((o * inPerGroup + ci) * kernel.0 + kh) * kernel.1 + kw
                    body(inputIndex, weightIndex, outputIndex)
                } } }
            } }
        } }
    }

    // x: (N, C, H, W), weight: (O, C/groups, kH, kW), bias: (O) -> y: (N, O, H', W')
    public func forward(input: [Double], weight: [Double], bias: [Double]?) -> [Double] {
        let out = outputShape
        var output = [Double](repeating: 0, count: out.reduce(1, *))
        if let bias {
            for index in output.indices { output[index] = bias[(index / (out[2] * out[3])) % outputChannels] }
        }
        forEachTerm { i, k, o in output[o] += input[i] * weight[k] }
        return output
    }

    // dy -> (dx, dW, db)
    public func backward(input: [Double], weight: [Double], gradientOutput: [Double]) -> (input: [Double], weight: [Double], bias: [Double]) {
        var gradientInput = [Double](repeating: 0, count: input.count)
        var gradientWeight = [Double](repeating: 0, count: weight.count)
        var gradientBias = [Double](repeating: 0, count: outputChannels)
        forEachTerm { i, k, o in
            gradientInput[i] += weight[k] * gradientOutput[o]
            gradientWeight[k] += input[i] * gradientOutput[o]
        }
        let out = outputShape
        for index in gradientOutput.indices { gradientBias[(index / (out[2] * out[3])) % outputChannels] += gradientOutput[index] }
        return (gradientInput, gradientWeight, gradientBias)
    }
}
