import ArgumentParser
import Pipeline
import Foundation
import Tensor

/// The `--model` and `--threads` options of the commands that run a trained model.
struct ModelOptions: ParsableArguments {
    @Option(help: "A model directory (model.json + model.safetensors), or `default` for the bundled model.")
    var model: String = ModelDirectory.defaultName

    @Option(help: "Threads for oneDNN (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Checks that `--model` names a model directory (or that the bundled one is found),
    /// without loading it: commands call this before their other checks, and load last.
    /// - Throws: `ChestModelError.modelNotFound` saying where it looked.
    func requireModel() throws {
        _ = try ModelDirectory.resolve(model)
    }

    /// Loads the model, which runs on `--threads` wherever it runs, and names it for reports: the
    /// `--model` value and the architecture.
    func load() throws -> (model: ChestModel, name: String) {
        let model = try ChestModel.load(named: model)
        model.setOptions(EngineOptions(threads: threads))
        return (model, "\(self.model) (\(model.card.architecture.rawValue))")
    }
}

/// Encodes `value` as pretty, key-sorted JSON and prints it with a final newline.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Prints `value` as JSON or `text` as it is, then an "error: FILE: reason" line on standard
/// error per failure; exits with status 1 when there was any.
func printResult<T: Encodable>(_ value: T, json: Bool, text: String, failures: [FileFailure]) throws {
    if json {
        try printJSON(value)
    } else {
        print(text, terminator: "")
    }
    printFailures(failures)
    if !failures.isEmpty { throw ExitCode(1) }
}

/// Writes "error: <text>" to standard error for each failure (standard output stays for results).
func printFailures(_ failures: [FileFailure]) {
    for failure in failures {
        FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
    }
}
