import Foundation

/// The per-element update rules of torch.optim (single-tensor implementations, PyTorch 2.x),
/// written as plain loops over one parameter's values, gradient and state: the reference twin
/// of `OptimizerKernels`, which must give bit-identical results. Scalars that PyTorch computes
/// in Python (double) are computed in Double here too, so trajectories agree to Float32 rounding.
public enum ReferenceOptimizerKernels {
    /// torch.optim.SGD for one tensor:
    ///
    ///     g = grad + weightDecay·p
    ///     buffer = g (first step) | momentum·buffer + (1 − dampening)·g
    ///     g = nesterov ? g + momentum·buffer : buffer          (when momentum ≠ 0)
    ///     p −= learningRate · g
    ///
    /// - Parameters:
    ///   - momentumBuffer: `count` floats of state, used only when momentum ≠ 0.
    ///   - isFirstStep: true on this tensor's first update (PyTorch then copies g into the buffer).
    /// Every pointer addresses `count` floats (the caller's promise).
    public static func sgd(parameter p: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                           momentumBuffer: UnsafeMutablePointer<Float>?, count: Int, isFirstStep: Bool,
                           learningRate: Float, momentum: Float, dampening: Float,
                           nesterov: Bool, weightDecay: Float) {
        let momentumActive = momentum != 0 && momentumBuffer != nil
        for i in 0 ..< count {
            var g = gradient[i]
            if weightDecay != 0 { g += weightDecay * p[i] }
            if momentumActive, let buffer = momentumBuffer {
                buffer[i] = isFirstStep ? g : momentum * buffer[i] + (1 - dampening) * g
                g = nesterov ? g + momentum * buffer[i] : buffer[i]
            }
            p[i] -= learningRate * g
        }
    }

    /// torch.optim.Adam (decoupled = false) and AdamW (decoupled = true) for one tensor, step t ≥ 1:
    ///
    ///     AdamW: p ·= 1 − learningRate·weightDecay;  Adam: g = grad + weightDecay·p
    ///     m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²
    ///     p −= (learningRate / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
    /// Every pointer addresses `count` floats (the caller's promise).
    public static func adam(parameter p: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                            firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                            count: Int, step t: Int, learningRate: Float, beta1: Float, beta2: Float,
                            epsilon: Float, weightDecay: Float, decoupled: Bool) {
        let biasCorrection1 = 1 - pow(Double(beta1), Double(t))
        let biasCorrection2Root = (1 - pow(Double(beta2), Double(t))).squareRoot()
        let stepSize = Float(Double(learningRate) / biasCorrection1)
        let correction2 = Float(biasCorrection2Root)
        let decay = decoupled ? Float(1 - Double(learningRate) * Double(weightDecay)) : 1
        for i in 0 ..< count {
            var g = gradient[i]
            if decoupled {
                p[i] *= decay
            } else if weightDecay != 0 {
                g += weightDecay * p[i]
            }
            // PyTorch writes m.lerp_(g, 1 − β1), i.e. m + (1 − β1)(g − m).
            m[i] += (1 - beta1) * (g - m[i])
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            let denominator = v[i].squareRoot() / correction2 + epsilon
            p[i] -= stepSize * (m[i] / denominator)
        }
    }
}
