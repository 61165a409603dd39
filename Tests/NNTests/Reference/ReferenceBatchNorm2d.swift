/// Plain double-precision batch normalization in training mode (batch statistics, biased
/// variance) and evaluation mode (given statistics), forward and backward; the twin of
/// `BatchNorm2d` used only by tests.
struct ReferenceBatchNorm2d {
    let shape: [Int]  // N, C, H, W
    let epsilon: Double

    private var channels: Int { shape[1] }
    private var plane: Int { shape[2] * shape[3] }
    private var perChannel: Int { shape[0] * plane }
    private func channel(_ index: Int) -> Int { (index / plane) % channels }

    func statistics(_ x: [Double]) -> (mean: [Double], variance: [Double]) {
        var mean = [Double](repeating: 0, count: channels), variance = mean
        for index in x.indices { mean[channel(index)] += x[index] }
        mean = mean.map { $0 / Double(perChannel) }
        for index in x.indices { let d = x[index] - mean[channel(index)]; variance[channel(index)] += d * d }
        variance = variance.map { $0 / Double(perChannel) }
        return (mean, variance)
    }

    // x: (N, C, H, W) -> y; statistics from the batch when mean/variance are nil
    func forward(_ x: [Double], gamma: [Double], beta: [Double], mean given: [Double]? = nil, variance givenVariance: [Double]? = nil) -> [Double] {
        let (batchMean, batchVariance) = statistics(x)
        let mean = given ?? batchMean, variance = givenVariance ?? batchVariance
        return x.indices.map { index in
            let c = channel(index)
            return gamma[c] * (x[index] - mean[c]) / (variance[c] + epsilon).squareRoot() + beta[c]
        }
    }

    // training-mode backward: dy -> (dx, dγ, dβ)
    func backward(_ x: [Double], gamma: [Double], gradientOutput dy: [Double], frozenMean: [Double]? = nil,
                  frozenVariance: [Double]? = nil) -> (input: [Double], gamma: [Double], beta: [Double]) {
        let (batchMean, batchVariance) = statistics(x)
        let mean = frozenMean ?? batchMean, variance = frozenVariance ?? batchVariance
        var dGamma = [Double](repeating: 0, count: channels), dBeta = dGamma
        for index in x.indices {
            let c = channel(index)
            let normalized = (x[index] - mean[c]) / (variance[c] + epsilon).squareRoot()
            dGamma[c] += dy[index] * normalized
            dBeta[c] += dy[index]
        }
        let m = Double(perChannel)
        let dx: [Double] = x.indices.map { index in
            let c = channel(index)
            let inverse = 1 / (variance[c] + epsilon).squareRoot()
            if frozenMean != nil { return gamma[c] * inverse * dy[index] }
            let normalized = (x[index] - mean[c]) * inverse
            return gamma[c] * inverse * (dy[index] - dBeta[c] / m - normalized * dGamma[c] / m)
        }
        return (dx, dGamma, dBeta)
    }
}
