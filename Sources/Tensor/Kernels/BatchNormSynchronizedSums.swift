/// The double-sum batch norm split where a synchronized batch norm sums over the replicas of a
/// data-parallel step: each step below sweeps every channel block, and the caller adds the
/// replicas' sums between two sweeps. With one replica the results are those of the fused
/// kernels up to the shift the moments are taken about.
extension BatchNormKernels {
    /// Per channel Σ(x − k_c) over (N, H, W), then per channel Σ(x − k_c)², then N·H·W:
    /// `2·channels + 1` values to sum over the replicas, in double. `shift` (k, one per channel)
    /// must be the same on every replica: the sums of different replicas are about it.
    static func replicaMoments(_ x: UnsafePointer<Float>, shift: [Double], _ layout: ChannelBlockedLayout) -> [Double] {
        let channels = layout.channels, block = layout.block
        var totals = [Double](repeating: 0, count: 2 * channels + 1)
        totals.withUnsafeMutableBufferPointer { totals in
            // 2·channels + 1 entries; each channel block writes only its own channels'.
            let base = totals.baseAddress!
            layout.forEachChannelBlockRange { range in
                for channelBlock in range {
                    let lanes = (0 ..< block).map { channelBlock * block + $0 }
                    let blockShift = lanes.map { $0 < channels ? shift[$0] : 0 }
                    let (sums, squares) = moments(x, shift: blockShift, channelBlock: channelBlock, layout)
                    for (lane, channel) in lanes.enumerated() where channel < channels {
                        base[channel] = sums[lane]
                        base[channels + channel] = squares[lane]
                    }
                }
            }
            base[2 * channels] = Double(layout.perChannel)
        }
        return totals
    }

    /// y = γ·(x − μ)/√(σ² + ε) + β (then the ReLU) with the given per-channel statistics; the
    /// record backward needs, as `forward` returns it.
    // x: (N, C, H, W) -> y: (N, C, H, W); mean, variance: (C)
    static func normalize(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, mean: [Double], variance: [Double],
                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Double, relu: Bool,
                          _ layout: ChannelBlockedLayout) -> ForwardRecord {
        let block = layout.block
        var scales = [Float](repeating: 0, count: layout.channelBlocks * block)
        var offsets = scales
        scales.withUnsafeMutableBufferPointer { scales in
            offsets.withUnsafeMutableBufferPointer { offsets in
                // channelBlocks · block entries each, written at channel < layout.channels only.
                let scales = scales.baseAddress!, offsets = offsets.baseAddress!
                layout.forEachChannelBlockRange { range in
                    for channelBlock in range {
                        var scale = [Float](repeating: 0, count: block), offset = scale
                        for lane in 0 ..< block where channelBlock * block + lane < layout.channels {
                            let channel = channelBlock * block + lane
                            (scale[lane], offset[lane]) = factors(mean: mean[channel], variance: variance[channel],
                                                                  gamma: gamma[channel], beta: beta[channel], epsilon: epsilon)
                            scales[channel] = scale[lane]
                            offsets[channel] = offset[lane]
                        }
                        apply(scale: scale, offset: offset, relu: relu, from: x, to: y, channelBlock: channelBlock, layout)
                    }
                }
            }
        }
        return ForwardRecord(mean: mean, variance: variance, scale: scales, offset: offsets)
    }

    /// Per channel Σdy', then per channel Σdy'·(x − μ) over this replica's (N, H, W), in double
    /// (dy' = dy, masked by the ReLU as forward applied it): `2·channels` values to sum over
    /// the replicas.
    static func replicaGradientSums(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, relu: Bool,
                                    record: ForwardRecord, _ layout: ChannelBlockedLayout) -> [Double] {
        requireRecord(record, layout)
        let channels = layout.channels, block = layout.block
        var totals = [Double](repeating: 0, count: 2 * channels)
        totals.withUnsafeMutableBufferPointer { totals in
            // 2·channels entries; each channel block writes only its own channels'.
            let base = totals.baseAddress!
            layout.forEachChannelBlockRange { range in
                for channelBlock in range {
                    let (sums, products) = gradientSums(x, dy, relu: relu, record: record, channelBlock: channelBlock, layout)
                    for lane in 0 ..< block where channelBlock * block + lane < channels {
                        base[channelBlock * block + lane] = sums[lane]
                        base[channels + channelBlock * block + lane] = products[lane]
                    }
                }
            }
        }
        return totals
    }

    /// dx = γ/σ · (dy' − Σdy'/M − (x − μ)/σ · dγ/M) with the sums `totals` (as
    /// `replicaGradientSums` lays them out, summed over the replicas) over M = `count` values
    /// per channel.
    // x, dy: (N, C, H, W) -> dx: (N, C, H, W)
    static func inputGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, relu: Bool, record: ForwardRecord,
                              totals: [Double], count: Double, gamma: UnsafePointer<Float>, epsilon: Double,
                              into dx: UnsafeMutablePointer<Float>, _ layout: ChannelBlockedLayout) {
        requireRecord(record, layout)
        let channels = layout.channels, block = layout.block
        precondition(totals.count == 2 * channels, "\(totals.count) gradient sums for \(channels) channels")
        layout.forEachChannelBlockRange { range in
            for channelBlock in range {
                let lanes = (0 ..< block).map { channelBlock * block + $0 }
                let sums = lanes.map { $0 < channels ? totals[$0] : 0 }
                let products = lanes.map { $0 < channels ? totals[channels + $0] : 0 }
                let terms = gradientTerms(sums: sums, products: products, count: count, record: record, gamma: gamma,
                                          epsilon: epsilon, channelBlock: channelBlock, layout)
                inputGradient(x, dy, relu: relu, record: record, terms: terms, channelBlock: channelBlock, into: dx, layout)
            }
        }
    }
}
