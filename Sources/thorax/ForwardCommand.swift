import ArgumentParser
import Foundation
import Models
import NN
import SafeTensors
import Tensor

/// `thorax forward`: one forward (and optionally backward) pass of a torchvision classifier on
/// tensors read from safetensors files — the contract that checks the engine against PyTorch.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Runs a torchvision classifier forward (and backward) on tensors from safetensors files.",
        discussion: """
        X holds `input` (N, 3, H, W) float32 and, with --backward, `grad_output` (the shape of the
        output). The model is the plain torchvision classifier; its class count is taken from the
        weights (`fc.weight` or `classifier.weight`). Y receives `output`; with --backward also
        `grad.input` and `grad.<name>` for every trainable parameter (torchvision names). In train
        mode (batch statistics, as PyTorch's .train()) Y also gets `buffer.<name>`: the running
        statistics after the update.

        Example:
          thorax forward --arch resnet50 --weights resnet50.safetensors --input x.safetensors \\
            --output y.safetensors --mode train --backward
        """)

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case eval, train
    }

    @Option(help: "Architecture: resnet18, resnet34, resnet50, resnet101 or densenet121.")
    var arch: String

    @Option(help: "Weights: a torchvision state_dict as safetensors (F32, F16 or BF16).")
    var weights: String

    @Option(help: "Input tensors: `input` and, with --backward, `grad_output`.")
    var input: String

    @Option(help: "Where to write the results (safetensors, F32; written atomically).")
    var output: String

    @Option(help: "eval (running statistics) or train (batch statistics).")
    var mode: Mode = .eval

    @Flag(help: "Also run backward with `grad_output` and write the gradients.")
    var backward = false

    @Option(help: "Threads for oneDNN (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        let architecture = try Architecture(name: arch)
        try requireInputFile(weights, option: "--weights")
        try requireInputFile(input, option: "--input")
        try requireOutputFile(output, option: "--output")
        let weightsFile = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: weights))
        let classifierWeight = architecture.classifierName + ".weight"
        guard let classEntry = weightsFile.entry(classifierWeight), classEntry.shape.count == 2 else {
            throw ForwardError("\(weights): no 2-D tensor '\(classifierWeight)' to take the class count from")
        }
        let model = try architecture.makeClassifier(classCount: classEntry.shape[0])
        try Checkpoint.load(into: model, from: weightsFile)

        let inputs = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: input))
        let x = try inputs.tensor("input")
        guard x.shape.count == 4, x.shape[1] == 3 else {
            throw ForwardError("\(input): 'input' has shape \(x.shape); expected (N, 3, H, W)")
        }
        model.setTraining(mode == .train)
        // Evaluation-mode gradients need the layers to keep their inputs (and run unfused).
        var options = EngineOptions.fromEnvironment
        options.recordsGradientsInEvaluation = backward
        options.threads = threads
        model.setOptions(options)
        let y = try model.forward(Tensor(shape: x.shape, values: x.values))
        var results: [(name: String, tensor: StoredTensor)] = [("output", StoredTensor(shape: y.shape, values: try y.toArray()))]

        if backward {
            let gradientOutput = try inputs.tensor("grad_output")
            guard gradientOutput.shape == y.shape else {
                throw ForwardError("\(input): 'grad_output' has shape \(gradientOutput.shape); the output has shape \(y.shape)")
            }
            model.zeroGradients()
            let gradientInput = try model.backward(Tensor(shape: y.shape, values: gradientOutput.values))
            results.append(("grad.input", StoredTensor(shape: gradientInput.shape, values: try gradientInput.toArray())))
            for (name, parameter) in model.namedParameters() where parameter.isTrainable {
                results.append(("grad." + name, StoredTensor(shape: parameter.shape, values: try parameter.gradient.toArray())))
            }
        }
        if mode == .train {
            for (name, buffer) in model.namedBuffers() {
                results.append(("buffer." + name, StoredTensor(shape: buffer.shape, values: try buffer.toArray())))
            }
        }
        try SafeTensorsWriter.write(results, to: URL(fileURLWithPath: output),
                                    metadata: ["arch": architecture.rawValue, "mode": mode.rawValue])
    }
}

/// A `thorax forward` input problem, stated in words.
struct ForwardError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
