import Tensor

/// Updates parameters from their accumulated gradients, as torch.optim does.
///
/// Frozen parameters (`isTrainable == false`) are skipped entirely — no weight decay, no
/// momentum — as PyTorch skips parameters without a gradient. Gradients are read as they are;
/// call `Module.zeroGradients()` after each step (or after every `GradientAccumulation` cycle).
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step (set it from a `LearningRateSchedule`).
    var learningRate: Float { get set }
    /// The parameters updated, in a fixed order.
    var parameters: [Parameter] { get }
    /// Applies one update to every trainable parameter.
    /// - Throws: `TensorError` when a parameter or gradient is not in plain layout.
    func step() throws
}

/// torch.optim.SGD: momentum, dampening, Nesterov momentum and L2 weight decay.
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let momentum: Float
    public let dampening: Float
    public let nesterov: Bool
    public let weightDecay: Float
    /// Momentum buffers, one per parameter, created on that parameter's first step.
    public var momentumBuffers: [[Float]?]

    /// - Precondition: Nesterov needs a positive momentum and zero dampening (PyTorch's rule).
    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() throws {
        for (index, parameter) in parameters.enumerated() where parameter.isTrainable {
            let isFirstStep = momentumBuffers[index] == nil
            if isFirstStep {
                momentumBuffers[index] = momentum != 0 ? [Float](repeating: 0, count: parameter.value.count) : []
            }
            // Mutated in place through the optional: copying the buffer out and back would copy
            // every parameter's state on every step.
            // The kernel walks `value.count` floats of each buffer (momentum's only when used).
            try parameter.value.withUnsafeMutableBufferPointer { value in
                try parameter.gradient.withUnsafeMutableBufferPointer { gradient in
                    precondition(gradient.count == value.count, "a parameter's gradient has its value's shape")
                    let state = momentumBuffers[index]!.count
                    guard momentum == 0 || state == value.count else {
                        throw TensorError.shapeMismatch("SGD momentum buffer \(index) holds \(state) values for a parameter of \(value.count)")
                    }
                    momentumBuffers[index]!.withUnsafeMutableBufferPointer { momentumBuffer in
                        OptimizerKernels.sgd(parameter: value.baseAddress!, gradient: gradient.baseAddress!,
                                             momentumBuffer: momentum != 0 ? momentumBuffer.baseAddress : nil,
                                             count: value.count, isFirstStep: isFirstStep,
                                             learningRate: learningRate, momentum: momentum, dampening: dampening,
                                             nesterov: nesterov, weightDecay: weightDecay)
                    }
                }
            }
        }
    }
}

/// torch.optim.Adam (L2 weight decay added to the gradient) or, with `decoupledWeightDecay`,
/// torch.optim.AdamW (weights shrunk by learningRate·weightDecay before the update).
public final class Adam: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    /// Per parameter: steps taken, first and second moments (created on its first step).
    public var steps: [Int]
    public var firstMoments: [[Float]]
    public var secondMoments: [[Float]]

    public init(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        steps = Array(repeating: 0, count: parameters.count)
        firstMoments = Array(repeating: [], count: parameters.count)
        secondMoments = Array(repeating: [], count: parameters.count)
    }

    /// torch.optim.AdamW's defaults (weight decay 0.01, decoupled).
    public static func adamW(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9,
                             beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
             weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public func step() throws {
        for (index, parameter) in parameters.enumerated() where parameter.isTrainable {
            if steps[index] == 0 {
                firstMoments[index] = [Float](repeating: 0, count: parameter.value.count)
                secondMoments[index] = firstMoments[index]
            }
            steps[index] += 1
            // The kernel walks `value.count` floats of each buffer.
            try parameter.value.withUnsafeMutableBufferPointer { value in
                try parameter.gradient.withUnsafeMutableBufferPointer { gradient in
                    precondition(gradient.count == value.count, "a parameter's gradient has its value's shape")
                    let (first, second) = (firstMoments[index].count, secondMoments[index].count)
                    guard first == value.count, second == value.count else {
                        throw TensorError.shapeMismatch("Adam moments \(index) hold \(first) and \(second) values for a parameter of \(value.count)")
                    }
                    firstMoments[index].withUnsafeMutableBufferPointer { m in
                        secondMoments[index].withUnsafeMutableBufferPointer { v in
                            OptimizerKernels.adam(parameter: value.baseAddress!, gradient: gradient.baseAddress!,
                                                  firstMoment: m.baseAddress!, secondMoment: v.baseAddress!,
                                                  count: value.count, step: steps[index], learningRate: learningRate,
                                                  beta1: beta1, beta2: beta2, epsilon: epsilon,
                                                  weightDecay: weightDecay, decoupled: decoupledWeightDecay)
                        }
                    }
                }
            }
        }
    }
}

/// Gradient accumulation: an effective batch of `microBatches` × the loader's batch (the paper
/// used an effective batch of 80). Layers add gradients over backward calls, so accumulation is
/// running `microBatches` backward passes before one optimizer step, each loss gradient scaled
/// by `lossScale` so that the sum equals the gradient of the mean over the effective batch.
public struct GradientAccumulation: Sendable {
    public let microBatches: Int
    public private(set) var completed = 0

    public init(microBatches: Int) {
        precondition(microBatches > 0, "microBatches must be positive")
        self.microBatches = microBatches
    }

    /// The factor to multiply each micro-batch's loss gradient by.
    public var lossScale: Float { 1 / Float(microBatches) }

    /// Records one finished backward pass; true when it is time to step and zero the gradients.
    public mutating func completeMicroBatch() -> Bool {
        completed += 1
        if completed == microBatches {
            completed = 0
            return true
        }
        return false
    }
}
