/// Training-mode batch normalization over channel-blocked float32 tensors with the per-channel
/// sums accumulated in double: the batch statistics of forward and the two sums of backward.
/// PyTorch's CPU batch norm (contiguous NCHW) accumulates these in double; oneDNN 2.6 in float32,
/// which at batch 2 puts gradients 2× further from float64 than PyTorch's
/// (scripts/golden/check-full-size.py). The element-wise parts stay float32.
///
/// Each channel block is finished (sums, then the element-wise pass) before the next starts, so
/// the second pass over a block's values mostly hits the cache: two passes cost about one read of
/// memory. The per-block steps are separate functions, which the synchronized batch norm
/// (BatchNormSynchronizedSums.swift) runs in two sweeps with the replicas' sums between them.
/// Hand-written: oneDNN has no double accumulation.
enum BatchNormKernels {
    /// y = γ·(x − μ)/√(σ² + ε) + β, then max(0, ·) when `relu`, with μ, σ² the batch mean and
    /// biased variance per channel over (N, H, W). Returns μ and σ² (double) and the float32
    /// factors y was computed with, y = scale·x + offset per lane of the layout (0 in padding
    /// lanes), from which backward recomputes the ReLU's mask bit for bit.
    // x: (N, C, H, W) -> y: (N, C, H, W); mean, variance: (C)
    /// x and y hold `layout.floatCount` floats, γ and β `layout.channels` (the caller checks).
    static func forward(input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>,
                        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Double, relu: Bool,
                        _ layout: ChannelBlockedLayout) -> ForwardRecord {
        let block = layout.block
        var means = [Double](repeating: 0, count: layout.channelBlocks * block)
        var variances = means
        var scales = [Float](repeating: 0, count: layout.channelBlocks * block)
        var offsets = scales
        // Four arrays of channelBlocks · block entries, written at channel < layout.channels only.
        means.withUnsafeMutableBufferPointer { means in
          variances.withUnsafeMutableBufferPointer { variances in
            scales.withUnsafeMutableBufferPointer { scales in
              offsets.withUnsafeMutableBufferPointer { offsets in
                let means = means.baseAddress!, variances = variances.baseAddress!
                let scales = scales.baseAddress!, offsets = offsets.baseAddress!
                layout.forEachChannelBlockRange { range in
                    for channelBlock in range {
                        // Sums of x − shift and its square, shift = the block's first values: close
                        // to the mean, so Σ(x − shift)² does not cancel.
                        let shift = (0 ..< block).map { Double(x[channelBlock * layout.plane * block + $0]) }
                        let (sums, squares) = moments(x, shift: shift, channelBlock: channelBlock, layout)
                        let count = Double(layout.perChannel)
                        var scale = [Float](repeating: 0, count: block), offset = scale
                        for lane in 0 ..< block {
                            let channel = channelBlock * block + lane
                            guard channel < layout.channels else { continue }
                            let centered = sums[lane] / count
                            let mean = shift[lane] + centered
                            let variance = max(0, squares[lane] / count - centered * centered)
                            means[channel] = mean
                            variances[channel] = variance
                            (scale[lane], offset[lane]) = factors(mean: mean, variance: variance, gamma: gamma[channel],
                                                                  beta: beta[channel], epsilon: epsilon)
                            scales[channel] = scale[lane]
                            offsets[channel] = offset[lane]
                        }
                        apply(scale: scale, offset: offset, relu: relu, from: x, to: y, channelBlock: channelBlock, layout)
                    }
                }
              }
            }
          }
        }
        return ForwardRecord(mean: Array(means.prefix(layout.channels)), variance: Array(variances.prefix(layout.channels)),
                             scale: scales, offset: offsets)
    }

    /// What training forward computed, for backward.
    struct ForwardRecord {
        let mean, variance: [Double]
        /// Per lane of the layout: y = scale·x + offset before the ReLU.
        let scale, offset: [Float]
    }

    /// Per lane of channel block `channelBlock`: Σ(x − shift) and Σ(x − shift)² over (N, H, W),
    /// in double. `shift` holds `layout.block` values.
    static func moments(_ x: UnsafePointer<Float>, shift: [Double], channelBlock: Int,
                        _ layout: ChannelBlockedLayout) -> (sums: [Double], squares: [Double]) {
        let block = layout.block
        var sums = [Double](repeating: 0, count: block), squares = sums
        for n in 0 ..< layout.batch {
            let start = x + layout.offset(n, channelBlock)
            if block % 8 == 0 {
                // nChw8c or nChw16c: eight lanes of the block at a time.
                for group in stride(from: 0, to: block, by: 8) {
                    let shiftVector = SIMD8<Double>(shift[group ..< group + 8])
                    var sum = SIMD8<Double>(), square = SIMD8<Double>()
                    for position in 0 ..< layout.plane {
                        let value = widen(load8(start + position * block + group)) - shiftVector
                        sum += value
                        square += value * value
                    }
                    for lane in 0 ..< 8 {
                        sums[group + lane] += sum[lane]
                        squares[group + lane] += square[lane]
                    }
                }
            } else {
                for position in 0 ..< layout.plane {
                    for lane in 0 ..< block {
                        let value = Double(start[position * block + lane]) - shift[lane]
                        sums[lane] += value
                        squares[lane] += value * value
                    }
                }
            }
        }
        return (sums, squares)
    }

    /// The float32 factors of y = scale·x + offset for one channel: scale = γ/√(σ² + ε),
    /// offset = β − μ·scale, computed in double and rounded once each.
    @inline(__always) static func factors(mean: Double, variance: Double, gamma: Float, beta: Float,
                                          epsilon: Double) -> (scale: Float, offset: Float) {
        let a = Double(gamma) / (variance + epsilon).squareRoot()
        return (Float(a), Float(Double(beta) - mean * a))
    }

    /// Training backward: per channel dβ = Σdy', dγ = Σdy'·(x − μ)/σ (double sums), and
    /// dx = γ/σ · (dy' − dβ/M − (x − μ)/σ · dγ/M), M = N·H·W, where dy' = dy, or with `relu`
    /// dy·(y > 0), y > 0 recomputed exactly as forward did (scale·x + offset > 0, same float32
    /// operations); σ = √(σ² + ε). Returns dγ and dβ.
    // x, dy: (N, C, H, W) -> dx: (N, C, H, W); dγ, dβ: (C)
    /// x, dy and dx hold `layout.floatCount` floats, γ `layout.channels`, and the record
    /// `layout.channels` statistics and `layout.channelBlocks · layout.block` factors.
    static func backward(input x: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>, relu: Bool,
                         record: ForwardRecord, gamma: UnsafePointer<Float>, epsilon: Double,
                         into dx: UnsafeMutablePointer<Float>, _ layout: ChannelBlockedLayout) -> (gamma: [Double], beta: [Double]) {
        let block = layout.block
        requireRecord(record, layout)
        var gammaGradients = [Double](repeating: 0, count: layout.channelBlocks * block)
        var betaGradients = gammaGradients
        // Two arrays of channelBlocks · block entries, written at channel < layout.channels only.
        gammaGradients.withUnsafeMutableBufferPointer { gammaGradients in
            betaGradients.withUnsafeMutableBufferPointer { betaGradients in
                let gammaGradients = gammaGradients.baseAddress!, betaGradients = betaGradients.baseAddress!
                layout.forEachChannelBlockRange { range in
                    for channelBlock in range {
                        let (sums, products) = gradientSums(x, dy, relu: relu, record: record, channelBlock: channelBlock, layout)
                        let terms = gradientTerms(sums: sums, products: products, count: Double(layout.perChannel),
                                                  record: record, gamma: gamma, epsilon: epsilon, channelBlock: channelBlock, layout)
                        for lane in 0 ..< block where channelBlock * block + lane < layout.channels {
                            gammaGradients[channelBlock * block + lane] = terms.gammaGradient[lane]
                            betaGradients[channelBlock * block + lane] = sums[lane]
                        }
                        inputGradient(x, dy, relu: relu, record: record, terms: terms, channelBlock: channelBlock, into: dx, layout)
                    }
                }
            }
        }
        return (Array(gammaGradients.prefix(layout.channels)), Array(betaGradients.prefix(layout.channels)))
    }

    /// Stops on a record that does not fit the layout (a caller's mistake, not bad input).
    static func requireRecord(_ record: ForwardRecord, _ layout: ChannelBlockedLayout) {
        precondition(record.mean.count == layout.channels && record.variance.count == layout.channels
                     && record.scale.count == layout.channelBlocks * layout.block && record.offset.count == record.scale.count,
                     "batch norm record for \(record.mean.count) channels, layout has \(layout.channels)")
    }

    /// μ per lane of channel block `channelBlock` (0 in padding lanes).
    static func blockMeans(_ record: ForwardRecord, channelBlock: Int, _ layout: ChannelBlockedLayout) -> [Double] {
        (0 ..< layout.block).map { channelBlock * layout.block + $0 < layout.channels ? record.mean[channelBlock * layout.block + $0] : 0 }
    }

    /// Per lane of channel block `channelBlock`: Σdy' and Σdy'·(x − μ) over (N, H, W), in double.
    static func gradientSums(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, relu: Bool, record: ForwardRecord,
                             channelBlock: Int, _ layout: ChannelBlockedLayout) -> (sums: [Double], products: [Double]) {
        let block = layout.block
        let meanBlock = blockMeans(record, channelBlock: channelBlock, layout)
        var sums = [Double](repeating: 0, count: block), products = sums
        let lanes = channelBlock * block ..< (channelBlock + 1) * block
        let vectorized = block % 8 == 0
        // Per group of eight lanes: scale, offset (the ReLU's mask) and μ in float32.
        let groups = vectorized ? Array(stride(from: 0, to: block, by: 8)) : []
        let scaleVectors = groups.map { SIMD8<Float>(record.scale[(lanes.lowerBound + $0) ..< (lanes.lowerBound + $0 + 8)]) }
        let offsetVectors = groups.map { SIMD8<Float>(record.offset[(lanes.lowerBound + $0) ..< (lanes.lowerBound + $0 + 8)]) }
        let meanVectors = groups.map { group in SIMD8<Float>((group ..< group + 8).map { Float(meanBlock[$0]) }) }
        for n in 0 ..< layout.batch {
            let offset = layout.offset(n, channelBlock)
            if vectorized {
                // dy'·(x − μ) in float32 (two roundings per term, independent), summed in
                // double; μ rounded to float32 is corrected for below.
                for (index, group) in groups.enumerated() {
                    let scaleVector = scaleVectors[index], offsetVector = offsetVectors[index]
                    let meanVector = meanVectors[index]
                    var sum = SIMD8<Double>(), product = SIMD8<Double>()
                    for position in 0 ..< layout.plane {
                        let at = offset + position * block + group
                        var gradient = load8(dy + at)
                        let value = load8(x + at)
                        if relu { gradient.replace(with: 0, where: scaleVector * value + offsetVector .<= 0) }
                        sum += widen(gradient)
                        product += widen(gradient * (value - meanVector))
                    }
                    for lane in 0 ..< 8 {
                        sums[group + lane] += sum[lane]
                        products[group + lane] += product[lane]
                    }
                }
            } else {
                for position in 0 ..< layout.plane {
                    for lane in 0 ..< block {
                        let index = offset + position * block + lane
                        if relu, record.scale[channelBlock * block + lane] * x[index]
                            + record.offset[channelBlock * block + lane] <= 0 { continue }
                        let gradient = Double(dy[index])
                        sums[lane] += gradient
                        products[lane] += gradient * (Double(x[index]) - meanBlock[lane])
                    }
                }
            }
        }
        if vectorized {
            // Σ dy'·(x − μ) = Σ dy'·(x − μ₃₂) + (μ₃₂ − μ)·Σ dy'.
            for lane in 0 ..< block { products[lane] += (Double(Float(meanBlock[lane])) - meanBlock[lane]) * sums[lane] }
        }
        return (sums, products)
    }

    /// dx = a·dy' + b·(x − μ) + c per lane of a channel block (0 in padding lanes), and dγ.
    struct GradientTerms {
        var a, b, c, mean: [Float]
        var gammaGradient: [Double]
    }

    /// The terms of dx from the sums over `count` values per channel: a = γ/σ,
    /// b = −γ/σ² · dγ/M with dγ = products/σ, c = −γ/σ · sums/M.
    static func gradientTerms(sums: [Double], products: [Double], count: Double, record: ForwardRecord,
                              gamma: UnsafePointer<Float>, epsilon: Double, channelBlock: Int,
                              _ layout: ChannelBlockedLayout) -> GradientTerms {
        let block = layout.block
        let zeros = [Float](repeating: 0, count: block)
        var terms = GradientTerms(a: zeros, b: zeros, c: zeros, mean: zeros, gammaGradient: [Double](repeating: 0, count: block))
        for lane in 0 ..< block {
            let channel = channelBlock * block + lane
            guard channel < layout.channels else { continue }
            let inverse = 1 / (record.variance[channel] + epsilon).squareRoot()
            let gammaGradient = products[lane] * inverse
            terms.gammaGradient[lane] = gammaGradient
            let scale = Double(gamma[channel]) * inverse
            terms.a[lane] = Float(scale)
            terms.b[lane] = Float(-scale * inverse * gammaGradient / count)
            terms.c[lane] = Float(-scale * sums[lane] / count)
            terms.mean[lane] = Float(record.mean[channel])
        }
        return terms
    }

    /// Writes dx = a·dy' + b·(x − μ) + c over channel block `channelBlock`.
    static func inputGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, relu: Bool, record: ForwardRecord,
                              terms: GradientTerms, channelBlock: Int, into dx: UnsafeMutablePointer<Float>,
                              _ layout: ChannelBlockedLayout) {
        let block = layout.block
        let lanes = channelBlock * block ..< (channelBlock + 1) * block
        let vectorized = block % 8 == 0
        let groups = vectorized ? Array(stride(from: 0, to: block, by: 8)) : []
        let scaleVectors = groups.map { SIMD8<Float>(record.scale[(lanes.lowerBound + $0) ..< (lanes.lowerBound + $0 + 8)]) }
        let offsetVectors = groups.map { SIMD8<Float>(record.offset[(lanes.lowerBound + $0) ..< (lanes.lowerBound + $0 + 8)]) }
        let (a, b, c, meanFloats) = (terms.a, terms.b, terms.c, terms.mean)
        for n in 0 ..< layout.batch {
            let offset = layout.offset(n, channelBlock)
            if vectorized {
                for (index, group) in groups.enumerated() {
                    let scaleVector = scaleVectors[index], offsetVector = offsetVectors[index]
                    let aVector = SIMD8<Float>(a[group ..< group + 8]), bVector = SIMD8<Float>(b[group ..< group + 8])
                    let cVector = SIMD8<Float>(c[group ..< group + 8])
                    let meanVector = SIMD8<Float>(meanFloats[group ..< group + 8])
                    for position in 0 ..< layout.plane {
                        let at = offset + position * block + group
                        var gradient = load8(dy + at)
                        let value = load8(x + at)
                        if relu { gradient.replace(with: 0, where: scaleVector * value + offsetVector .<= 0) }
                        // Padding lanes: a = b = c = 0 and x = dy = mean = 0 there, so 0.
                        let result = aVector * gradient + bVector * (value - meanVector) + cVector
                        UnsafeMutableRawPointer(dx + at).storeBytes(of: result, as: SIMD8<Float>.self)
                    }
                }
            } else {
                for position in 0 ..< layout.plane {
                    for lane in 0 ..< block {
                        let index = offset + position * block + lane
                        let masked = relu && record.scale[channelBlock * block + lane] * x[index]
                            + record.offset[channelBlock * block + lane] <= 0
                        let gradient = masked ? 0 : dy[index]
                        dx[index] = a[lane] * gradient + b[lane] * (x[index] - meanFloats[lane]) + c[lane]
                    }
                }
            }
        }
    }

    /// y = scale·x + offset (then ReLU) over one channel block; x and y hold `layout.floatCount`
    /// floats and `scale`, `offset` `layout.block` values.
    static func apply(scale: [Float], offset: [Float], relu: Bool, from x: UnsafePointer<Float>,
                              to y: UnsafeMutablePointer<Float>, channelBlock: Int, _ layout: ChannelBlockedLayout) {
        let block = layout.block
        for n in 0 ..< layout.batch {
            let start = layout.offset(n, channelBlock)
            if block % 8 == 0 {
                for group in stride(from: 0, to: block, by: 8) {
                    let scaleVector = SIMD8<Float>(scale[group ..< group + 8]), offsetVector = SIMD8<Float>(offset[group ..< group + 8])
                    for position in 0 ..< layout.plane {
                        let at = start + position * block + group
                        var value = scaleVector * load8(x + at) + offsetVector
                        if relu { value.replace(with: 0, where: value .< 0) }
                        UnsafeMutableRawPointer(y + at).storeBytes(of: value, as: SIMD8<Float>.self)
                    }
                }
            } else {
                for position in 0 ..< layout.plane {
                    for lane in 0 ..< block {
                        let at = start + position * block + lane
                        let value = scale[lane] * x[at] + offset[lane]
                        y[at] = relu ? max(0, value) : value
                    }
                }
            }
        }
    }

    /// Eight floats from `pointer` on, within the layout's floats (callers check the buffers once).
    @inline(__always) static func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) static func widen(_ v: SIMD8<Float>) -> SIMD8<Double> {
        SIMD8<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]),
                      Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
    }
}
