import Tensor

/// A layer that is a convolution, possibly wrapped (padded: `SamePaddingConv2d`), so that a batch
/// norm after it can be folded into `convolution`.
public protocol ConvolutionLayer: Layer {
    var convolution: Conv2d { get }
}

extension Conv2d: ConvolutionLayer {
    public var convolution: Conv2d { self }
}

extension Module {
    /// The inference pass that folds batch norms into convolutions: among the children of this
    /// module and of every descendant, each convolution (`ConvolutionLayer`, without a fused ReLU)
    /// followed by a `BatchNorm2d` of its width is linked to it, and so is a `ReLU` or `ReLU6`
    /// right after a batch norm that does not fuse its own ReLU. In unrecorded evaluation the
    /// convolution then computes all of them in one primitive — the batch norm folded into its
    /// weights and bias, the activation as a post-operation (`Conv2d.forward(_:fusing:)`) — and
    /// the batch norm and the activation pass their input through. Training mode or recorded
    /// evaluation of any linked layer runs them one by one again (batch statistics, running ones
    /// updated, backward possible), so the fold needs no undoing when the mode changes.
    ///
    /// The fold reads the batch norm's parameters and running statistics on every forward, so
    /// loading a checkpoint or training after it is always seen. `setOptions(_:)` calls it (or
    /// `unfoldBatchNorm()`) as `EngineOptions.foldsBatchNormInInference` says.
    ///
    /// Measured (docs/benchmarks.md): batch 16 at 224², 2 threads, ResNet-50 inference
    /// 1.019 → 0.939 s (peak RSS 922 → 466 MB), DenseNet-121 0.714 → 0.692 s, EfficientNet-Lite0
    /// 0.167 → 0.112 s (838 → 348 MB); batch 1 faster or equal too. The fold adds no per-element
    /// work (the weights are reordered on every forward anyway).
    public func foldBatchNorm() {
        unfoldBatchNorm()
        forEachModule { module in
            let children = module.namedChildren.map(\.module)
            for index in children.indices.dropLast() {
                guard let convolution = (children[index] as? ConvolutionLayer)?.convolution, !convolution.fusesReLU,
                      let batchNorm = children[index + 1] as? BatchNorm2d,
                      batchNorm.featureCount == convolution.outputChannels else { continue }
                var activation: ConvolutionFusion.Activation = batchNorm.fusesReLU ? .relu : .none
                var activationLayer: ElementwiseLayer?
                if !batchNorm.fusesReLU, index + 2 < children.count, let next = children[index + 2] as? ElementwiseLayer {
                    switch next.function {
                    case .relu: (activation, activationLayer) = (.relu, next)
                    case .relu6: (activation, activationLayer) = (.relu6, next)
                    case .sigmoid: break
                    }
                }
                convolution.fold = BatchNormFold(batchNorm: batchNorm, activation: activation)
                batchNorm.foldedInto = convolution
                activationLayer?.foldedInto = convolution
            }
        }
    }

    /// Undoes `foldBatchNorm()`: every convolution, batch norm and activation runs on its own.
    public func unfoldBatchNorm() {
        forEachModule { module in
            switch module {
            case let layer as ConvolutionLayer: layer.convolution.fold = nil
            case let batchNorm as BatchNorm2d: batchNorm.foldedInto = nil
            case let activation as ElementwiseLayer: activation.foldedInto = nil
            default: break
            }
        }
    }
}
