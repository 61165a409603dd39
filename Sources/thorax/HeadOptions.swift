import ArgumentParser
import Models

/// The paper's head as `thorax train` builds it and `thorax bench --head` times it: D, the
/// transition layer's channels, and the global pooling (avg, max, or LSE with r).
struct HeadOptions: ParsableArguments {
    @Option(help: "D, the transition layer's channels.")
    var transitionChannels: Int = 512
    @Option(help: "Global pooling: avg, max or lse.")
    var pooling: String = "lse"
    @Option(help: "r of log-sum-exp pooling.")
    var lseR: Float = 10

    func validate() throws {
        guard transitionChannels > 0 else { throw ValidationError("--transition-channels must be positive") }
        guard ["avg", "max", "lse"].contains(pooling) else {
            throw ValidationError("--pooling must be avg, max or lse, not '\(pooling)'")
        }
        guard lseR > 0, lseR.isFinite else { throw ValidationError("--lse-r must be positive") }
    }

    /// The pooling as the model takes it (valid after `validate()`).
    var modelPooling: WeaklySupervisedModel.Pooling {
        pooling == "avg" ? .average : pooling == "max" ? .max : .logSumExp(r: lseR)
    }
}
