import ArgumentParser
import Foundation
import Tensor

/// The `thorax` command: one subcommand per job of the ChestX-ray8 pipeline.
@main
struct Thorax: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thorax",
        abstract: "Chest X-ray report labelling, database, weakly supervised classification and localization.",
        discussion: """
        Example:
          thorax label ~/openi/reports --output labels.csv
          thorax serve --database thorax.sqlite --model default --port 8080
        """,
        version: ThoraxVersion.string,
        subcommands: [
            // Each job adds its subcommand here, one line each.
            ForwardCommand.self,
            BenchCommand.self,
            ImageCommand.self,
            LabelCommand.self,
            DbCommand.self,
            PredictCommand.self,
            EvalCommand.self,
            LocalizeCommand.self,
            DemoCommand.self,
            TrainCommand.self,
            KernelBenchCommand.self,
            ServeCommand.self,
        ]
    )

    /// Refuses to run with an engine variable set to something other than 0 or 1, before parsing.
    static func main() async {
        if let problem = EngineOptions.problem(in: ProcessInfo.processInfo.environment) {
            FileHandle.standardError.write(Data("Error: \(problem)\n".utf8))
            Foundation.exit(1)
        }
        await main(nil)
    }
}

extension EngineOptions {
    /// The default options with this process's environment overrides (`EngineOptions(environment:)`,
    /// checked in `Thorax.main`), for the commands that benchmark or check the engine.
    static var fromEnvironment: EngineOptions {
        (try? EngineOptions(environment: ProcessInfo.processInfo.environment)) ?? EngineOptions()
    }
}

/// The version recorded in model cards and outputs.
enum ThoraxVersion {
    static let string = "0.1.0"
}
