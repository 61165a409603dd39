import Foundation
import Tensor

/// Log-sum-exp pooling over H × W per channel, the paper's global pooling with sharpness r:
/// y = x* + (1/r)·log((1/(H·W))·Σ exp(r·(x_ij − x*))), x* = max_ij x_ij (the numerically stable
/// form). Small r approaches average pooling, large r max pooling. Output plain (N, C).
///
/// Hand-written (no oneDNN primitive computes it) on a plain copy of the input; it runs once per
/// image on the small S × S transition map, so it is far from the hot path.
/// Backward: ∂y/∂x_ij = softmax(r·x)_ij, kept from forward.
public final class LSEPool2d: Layer {
    public let r: Float
    public var isTraining = true

    private var inputAdapter: LayoutAdapter?
    private var output: Tensor?
    private var weights: Tensor?  // softmax(r·x) per plane, plain (N, C, H, W)
    private var inputGradient: Tensor?

    /// - Throws: `TensorError.invalidArgument` unless r > 0 and finite.
    public init(r: Float) throws {
        guard r > 0, r.isFinite else { throw TensorError.invalidArgument("LSEPool2d needs a positive finite r, got \(r)") }
        self.r = r
    }

    // x: (N, C, H, W) -> y: (N, C) plain
    public func forward(_ input: Tensor) throws -> Tensor {
        guard input.shape.count == 4 else { throw TensorError.shapeMismatch("LSEPool2d expects an (N, C, H, W) input, got \(input.shape)") }
        if weights?.shape != input.shape {
            inputAdapter = LayoutAdapter(target: try .plain(input.shape))
            weights = try Tensor(zeros: input.shape)
            output = try Tensor(zeros: [input.shape[0], input.shape[1]])
            inputGradient = nil
        }
        let plain = try inputAdapter!.adapt(input)
        let planes = input.shape[0] * input.shape[1], size = input.shape[2] * input.shape[3]
        // Plain (N, C, H, W) input and weights: planes · size floats; output: one per plane.
        let x = plain.floats(count: planes * size)
        let p = weights!.floats(count: planes * size)
        let y = output!.floats(count: planes)
        for plane in 0..<planes {
            let base = plane * size
            var largest = -Float.infinity
            for index in 0..<size { largest = max(largest, x[base + index]) }
            var sum: Float = 0
            for index in 0..<size {
                let e = exp(r * (x[base + index] - largest))
                p[base + index] = e
                sum += e
            }
            for index in 0..<size { p[base + index] /= sum }
            y[plane] = largest + log(sum / Float(size)) / r
        }
        return output!
    }

    // dy: (N, C) -> dx: (N, C, H, W) plain, dx_ij = dy · softmax(r·x)_ij
    public func backward(_ gradientOutput: Tensor) throws -> Tensor {
        guard let output, let weights else { throw LayerError.backwardBeforeForward("LSEPool2d") }
        guard gradientOutput.shape == output.shape else {
            throw TensorError.shapeMismatch("LSEPool2d.backward expects a gradient of shape \(output.shape), got \(gradientOutput.shape)")
        }
        if inputGradient == nil { inputGradient = try Tensor(zeros: weights.shape) }
        let dy = try gradientOutput.toArray()
        let size = weights.shape[2] * weights.shape[3]
        // dy: one value per plane (the output's shape, checked above); p, dx: planes · size floats.
        let p = weights.floats(count: dy.count * size)
        let dx = inputGradient!.floats(count: dy.count * size)
        for plane in 0..<dy.count {
            let base = plane * size
            for index in 0..<size { dx[base + index] = dy[plane] * p[base + index] }
        }
        return inputGradient!
    }
}
