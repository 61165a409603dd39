import Foundation

/// Plain double-precision window pooling (max; average with or without padding in the count),
/// forward and backward; the twin of `MaxPool2d`, `AvgPool2d` and the global pools, for tests.
struct ReferencePooling {
    enum Kind { case max, averageIncludingPadding, averageExcludingPadding }
    let inputShape: [Int]  // N, C, H, W
    let kernel: Int
    let stride: Int
    let padding: Int
    let kind: Kind
    /// The window's width when it differs from its height (global pooling of non-square planes).
    var kernelWidth: Int? = nil
    private var kw: Int { kernelWidth ?? kernel }

    var outputShape: [Int] {
        [inputShape[0], inputShape[1], (inputShape[2] + 2 * padding - kernel) / stride + 1,
         (inputShape[3] + 2 * padding - kw) / stride + 1]
    }

    /// For each output element: the input indices in its window and how many count in the mean.
    private func windows() -> [(output: Int, inputs: [Int], divisor: Int)] {
        let (h, w) = (inputShape[2], inputShape[3])
        let out = outputShape
        var result: [(Int, [Int], Int)] = []
        for plane in 0..<(inputShape[0] * inputShape[1]) {
            for oh in 0..<out[2] { for ow in 0..<out[3] {
                var inputs: [Int] = []
                for kh in 0..<kernel { for kx in 0..<kw {
                    let ih = oh * stride - padding + kh, iw = ow * stride - padding + kx
                    if ih >= 0, ih < h, iw >= 0, iw < w { inputs.append((plane * h + ih) * w + iw) }
                } }
                // PyTorch's count_include_pad counts padded positions but not positions past the padding.
                let top = oh * stride - padding, left = ow * stride - padding
                let paddedHeight = min(top + kernel, h + padding) - top, paddedWidth = min(left + kw, w + padding) - left
                let divisor = kind == .averageIncludingPadding ? paddedHeight * paddedWidth : inputs.count
                result.append(((plane * out[2] + oh) * out[3] + ow, inputs, divisor))
            } }
        }
        return result
    }

    func forward(_ x: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: outputShape.reduce(1, *))
        for (output, inputs, divisor) in windows() {
            y[output] = kind == .max ? inputs.map { x[$0] }.max()! : inputs.reduce(0) { $0 + x[$1] } / Double(divisor)
        }
        return y
    }

    func backward(_ x: [Double], gradientOutput dy: [Double]) -> [Double] {
        var dx = [Double](repeating: 0, count: x.count)
        for (output, inputs, divisor) in windows() {
            if kind == .max {
                let winner = inputs.max { x[$0] < x[$1] }!
                dx[winner] += dy[output]
            } else {
                for input in inputs { dx[input] += dy[output] / Double(divisor) }
            }
        }
        return dx
    }
}

/// Plain double-precision log-sum-exp pooling over each H × W plane (the paper's formula, in
/// its stable form), forward and backward; the twin of `LSEPool2d`.
struct ReferenceLSEPooling {
    let inputShape: [Int]
    let r: Double

    func forward(_ x: [Double]) -> [Double] {
        let size = inputShape[2] * inputShape[3]
        return (0..<(inputShape[0] * inputShape[1])).map { plane in
            let values = x[(plane * size)..<((plane + 1) * size)]
            let largest = values.max()!
            let mean = values.reduce(0) { $0 + exp(r * ($1 - largest)) } / Double(size)
            return largest + log(mean) / r
        }
    }

    func backward(_ x: [Double], gradientOutput dy: [Double]) -> [Double] {
        let size = inputShape[2] * inputShape[3]
        var dx = [Double](repeating: 0, count: x.count)
        for plane in 0..<dy.count {
            let range = (plane * size)..<((plane + 1) * size)
            let largest = x[range].max()!
            let total = x[range].reduce(0) { $0 + exp(r * ($1 - largest)) }
            for index in range { dx[index] = dy[plane] * exp(r * (x[index] - largest)) / total }
        }
        return dx
    }
}

/// Plain double-precision y = x·Wᵀ + b and its gradients; the twin of `Linear`.
struct ReferenceLinear {
    let batch, inputFeatures, outputFeatures: Int

    func forward(_ x: [Double], weight: [Double], bias: [Double]?) -> [Double] {
        var y = [Double](repeating: 0, count: batch * outputFeatures)
        for n in 0..<batch { for o in 0..<outputFeatures {
            var sum = bias?[o] ?? 0
            for i in 0..<inputFeatures { sum += x[n * inputFeatures + i] * weight[o * inputFeatures + i] }
            y[n * outputFeatures + o] = sum
        } }
        return y
    }

    func backward(_ x: [Double], weight: [Double], gradientOutput dy: [Double]) -> (input: [Double], weight: [Double], bias: [Double]) {
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: weight.count)
        var db = [Double](repeating: 0, count: outputFeatures)
        for n in 0..<batch { for o in 0..<outputFeatures {
            let g = dy[n * outputFeatures + o]
            db[o] += g
            for i in 0..<inputFeatures {
                dx[n * inputFeatures + i] += g * weight[o * inputFeatures + i]
                dw[o * inputFeatures + i] += g * x[n * inputFeatures + i]
            }
        } }
        return (dx, dw, db)
    }
}
