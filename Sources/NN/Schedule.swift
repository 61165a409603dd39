import Foundation

/// A learning-rate schedule advanced once per epoch, as torch.optim.lr_scheduler's `step()`.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for the current epoch.
    var learningRate: Float { get }
    /// Ends an epoch; `metric` (e.g. validation loss) is used by metric-driven schedules and
    /// ignored by the others.
    mutating func step(metric: Float?)
}

/// A constant learning rate.
public struct ConstantSchedule: LearningRateSchedule {
    public let learningRate: Float
    public init(learningRate: Float) { self.learningRate = learningRate }
    public mutating func step(metric: Float?) {}
}

/// StepLR: the learning rate is multiplied by `gamma` every `stepSize` epochs.
public struct StepSchedule: LearningRateSchedule {
    public let initial: Float
    public let stepSize: Int
    public let gamma: Float
    public private(set) var epoch = 0

    public init(initial: Float, stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "stepSize must be positive")
        self.initial = initial
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public var learningRate: Float { Float(Double(initial) * pow(Double(gamma), Double(epoch / stepSize))) }
    public mutating func step(metric: Float?) { epoch += 1 }
}

/// CosineAnnealingLR (closed form): minimum + (initial − minimum)·(1 + cos(π·epoch/period))/2.
/// After `period` epochs it rises again, as PyTorch's does.
public struct CosineSchedule: LearningRateSchedule {
    public let initial: Float
    public let period: Int
    public let minimum: Float
    public private(set) var epoch = 0

    public init(initial: Float, period: Int, minimum: Float = 0) {
        precondition(period > 0, "period must be positive")
        self.initial = initial
        self.period = period
        self.minimum = minimum
    }

    public var learningRate: Float {
        let phase = Double.pi * Double(epoch) / Double(period)
        return Float(Double(minimum) + (Double(initial) - Double(minimum)) * (1 + cos(phase)) / 2)
    }

    public mutating func step(metric: Float?) { epoch += 1 }
}

/// ReduceLROnPlateau: multiplies the learning rate by `factor` when the metric has not
/// improved by more than `threshold` for more than `patience` epochs, then waits `cooldown`
/// epochs; never below `minimum`. Exactly PyTorch's rules (relative or absolute threshold).
public struct ReduceOnPlateauSchedule: LearningRateSchedule {
    public enum Mode: Sendable { case minimize, maximize }
    public enum ThresholdMode: Sendable { case relative, absolute }

    public private(set) var learningRate: Float
    public let mode: Mode
    public let factor: Float
    public let patience: Int
    public let threshold: Float
    public let thresholdMode: ThresholdMode
    public let cooldown: Int
    public let minimum: Float
    public private(set) var best: Float
    private var badEpochs = 0
    private var cooldownLeft = 0

    public init(initial: Float, mode: Mode = .minimize, factor: Float = 0.1, patience: Int = 10,
                threshold: Float = 1e-4, thresholdMode: ThresholdMode = .relative,
                cooldown: Int = 0, minimum: Float = 0) {
        precondition(factor < 1, "factor must be below 1")
        self.learningRate = initial
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minimum = minimum
        self.best = mode == .minimize ? .infinity : -.infinity
    }

    private func isBetter(_ value: Float) -> Bool {
        switch (mode, thresholdMode) {
        case (.minimize, .relative): return value < best * (1 - threshold)
        case (.minimize, .absolute): return value < best - threshold
        case (.maximize, .relative): return value > best * (1 + threshold)
        case (.maximize, .absolute): return value > best + threshold
        }
    }

    /// - Parameter metric: required; a nil or NaN metric counts as no improvement.
    public mutating func step(metric: Float?) {
        if let metric, isBetter(metric) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            let reduced = max(learningRate * factor, minimum)
            // PyTorch ignores changes smaller than its eps (1e-8).
            if learningRate - reduced > 1e-8 { learningRate = reduced }
            cooldownLeft = cooldown
            badEpochs = 0
        }
    }
}
