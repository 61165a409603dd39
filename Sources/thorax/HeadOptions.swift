import ArgumentParser
import Models
import Training

/// The paper's head as `thorax bench --head` times it: D, the transition layer's channels,
/// and the global pooling (avg, max, or LSE with r).
struct HeadOptions: ParsableArguments {
    @Option(help: "D, the transition layer's channels.")
    var transitionChannels: Int = 512
    @Option(help: "Global pooling.")
    var pooling: HeadPooling = .logSumExp
    @Option(help: "r of log-sum-exp pooling.")
    var lseR: Float = 10

    func validate() throws {
        guard transitionChannels > 0 else { throw ValidationError("--transition-channels must be positive") }
        guard lseR > 0, lseR.isFinite else { throw ValidationError("--lse-r must be positive") }
    }

    /// The pooling as the model takes it.
    var modelPooling: WeaklySupervisedModel.Pooling { pooling.layerPooling(r: lseR) }
}
