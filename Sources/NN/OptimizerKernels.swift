import Foundation

/// The update rules of `ReferenceOptimizerKernels`, eight or sixteen lanes at a time.
///
/// Why hand-written: the plain loops do not vectorize (the Swift compiler keeps the square
/// root and division scalar), and no library here offers torch.optim's update rules. Every
/// lane performs exactly the reference's Float operations in the reference's order, so the
/// results are bit-identical (tested); the tail shorter than eight lanes runs the reference.
/// Measured on this machine for 5 M parameters (one thread): Adam 33 → 15 ms, the rate at
/// which memory delivers its 28 bytes per parameter; a second thread gave nothing more, so
/// the step stays on the calling thread.
///
/// Lanes: Swift compiles this package for baseline x86-64, so a `SIMD8<Float>` is two SSE
/// registers and a `SIMD16<Float>` four, on AVX2 and AVX-512 CPUs alike; the width only sets how
/// many independent operations are in flight. Both are tested bit for bit against the reference;
/// `Lanes.preferred` is the one measured faster (docs/benchmarks.md, "Optimizer kernel lanes").
public enum OptimizerKernels {
    /// Floats per vector of the update loops.
    public enum Lanes: Int, CaseIterable, Sendable {
        case eight = 8
        case sixteen = 16
        /// The width the optimizers use.
        public static let preferred = Lanes.eight
    }

    /// torch.optim.SGD for one tensor; see `ReferenceOptimizerKernels.sgd` for the rule.
    /// - Parameters:
    ///   - momentumBuffer: `count` floats of state, used only when momentum ≠ 0.
    ///   - isFirstStep: true on this tensor's first update (PyTorch then copies g into the buffer).
    /// Every pointer addresses `count` floats (the caller's promise: `Optimizer` checks the buffers).
    public static func sgd(parameter p: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                           momentumBuffer: UnsafeMutablePointer<Float>?, count: Int, isFirstStep: Bool,
                           learningRate: Float, momentum: Float, dampening: Float,
                           nesterov: Bool, weightDecay: Float, lanes: Lanes = .preferred) {
        switch lanes {
        case .eight:
            sgd(SIMD8<Float>.self, parameter: p, gradient: gradient, momentumBuffer: momentumBuffer, count: count,
                isFirstStep: isFirstStep, learningRate: learningRate, momentum: momentum, dampening: dampening,
                nesterov: nesterov, weightDecay: weightDecay)
        case .sixteen:
            sgd(SIMD16<Float>.self, parameter: p, gradient: gradient, momentumBuffer: momentumBuffer, count: count,
                isFirstStep: isFirstStep, learningRate: learningRate, momentum: momentum, dampening: dampening,
                nesterov: nesterov, weightDecay: weightDecay)
        }
    }

    @inline(__always)
    private static func sgd<Lanes: SIMD>(_: Lanes.Type, parameter p: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                                         momentumBuffer: UnsafeMutablePointer<Float>?, count: Int, isFirstStep: Bool,
                                         learningRate: Float, momentum: Float, dampening: Float,
                                         nesterov: Bool, weightDecay: Float) where Lanes.Scalar == Float {
        let vectorCount = count / Lanes.scalarCount * Lanes.scalarCount
        let momentumActive = momentum != 0 && momentumBuffer != nil
        let rate = Lanes(repeating: learningRate), decay = Lanes(repeating: weightDecay)
        let beta = Lanes(repeating: momentum), keep = Lanes(repeating: 1 - dampening)
        // Whole vectors up to vectorCount ≤ count floats; the reference kernel does the rest.
        let values = UnsafeMutableRawPointer(p), gradients = UnsafeRawPointer(gradient)
        let buffers = momentumBuffer.map { UnsafeMutableRawPointer($0) }
        var offset = 0
        while offset < vectorCount * 4 {
            var g = gradients.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            var value = values.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            if weightDecay != 0 { g += decay * value }
            if momentumActive, let buffers {
                var buffer = g
                if !isFirstStep { buffer = beta * buffers.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + keep * g }
                buffers.storeBytes(of: buffer, toByteOffset: offset, as: Lanes.self)
                g = nesterov ? g + beta * buffer : buffer
            }
            value -= rate * g
            values.storeBytes(of: value, toByteOffset: offset, as: Lanes.self)
            offset += Lanes.scalarCount * 4
        }
        ReferenceOptimizerKernels.sgd(parameter: p + vectorCount, gradient: gradient + vectorCount,
                                      momentumBuffer: momentumBuffer.map { $0 + vectorCount }, count: count - vectorCount,
                                      isFirstStep: isFirstStep, learningRate: learningRate, momentum: momentum,
                                      dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
    }

    /// torch.optim.Adam (decoupled = false) and AdamW (decoupled = true) for one tensor, step
    /// t ≥ 1; see `ReferenceOptimizerKernels.adam` for the rule.
    /// Every pointer addresses `count` floats (the caller's promise: `Adam` checks the buffers).
    public static func adam(parameter p: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                            firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                            count: Int, step t: Int, learningRate: Float, beta1: Float, beta2: Float,
                            epsilon: Float, weightDecay: Float, decoupled: Bool, lanes: Lanes = .preferred) {
        switch lanes {
        case .eight:
            adam(SIMD8<Float>.self, parameter: p, gradient: gradient, firstMoment: m, secondMoment: v, count: count, step: t,
                 learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: decoupled)
        case .sixteen:
            adam(SIMD16<Float>.self, parameter: p, gradient: gradient, firstMoment: m, secondMoment: v, count: count, step: t,
                 learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: decoupled)
        }
    }

    @inline(__always)
    private static func adam<Lanes: SIMD>(_: Lanes.Type, parameter p: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                                          firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                                          count: Int, step t: Int, learningRate: Float, beta1: Float, beta2: Float,
                                          epsilon: Float, weightDecay: Float, decoupled: Bool) where Lanes.Scalar == Float {
        let vectorCount = count / Lanes.scalarCount * Lanes.scalarCount
        // The scalars exactly as the reference computes them.
        let biasCorrection1 = 1 - pow(Double(beta1), Double(t))
        let biasCorrection2Root = (1 - pow(Double(beta2), Double(t))).squareRoot()
        let stepSize = Lanes(repeating: Float(Double(learningRate) / biasCorrection1))
        let correction2 = Lanes(repeating: Float(biasCorrection2Root))
        let decay = Lanes(repeating: decoupled ? Float(1 - Double(learningRate) * Double(weightDecay)) : 1)
        let l2 = Lanes(repeating: weightDecay), keep1 = Lanes(repeating: 1 - beta1)
        let beta2Lanes = Lanes(repeating: beta2), keep2 = Lanes(repeating: 1 - beta2), epsilonLanes = Lanes(repeating: epsilon)
        // Whole vectors up to vectorCount ≤ count floats; the reference kernel does the rest.
        let values = UnsafeMutableRawPointer(p), gradients = UnsafeRawPointer(gradient)
        let first = UnsafeMutableRawPointer(m), second = UnsafeMutableRawPointer(v)
        var offset = 0
        while offset < vectorCount * 4 {
            var g = gradients.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            var value = values.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            if decoupled {
                value *= decay
            } else if weightDecay != 0 {
                g += l2 * value
            }
            var moment1 = first.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            var moment2 = second.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            moment1 += keep1 * (g - moment1)
            moment2 = beta2Lanes * moment2 + keep2 * g * g
            let denominator = moment2.squareRoot() / correction2 + epsilonLanes
            value -= stepSize * (moment1 / denominator)
            first.storeBytes(of: moment1, toByteOffset: offset, as: Lanes.self)
            second.storeBytes(of: moment2, toByteOffset: offset, as: Lanes.self)
            values.storeBytes(of: value, toByteOffset: offset, as: Lanes.self)
            offset += Lanes.scalarCount * 4
        }
        ReferenceOptimizerKernels.adam(parameter: p + vectorCount, gradient: gradient + vectorCount,
                                       firstMoment: m + vectorCount, secondMoment: v + vectorCount,
                                       count: count - vectorCount, step: t, learningRate: learningRate, beta1: beta1,
                                       beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: decoupled)
    }
}
