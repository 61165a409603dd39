import Foundation
import NN
import SafeTensors
import Tensor

/// Loads and saves a module's parameters and buffers as safetensors under their torchvision
/// names (`conv1.weight`, `layer1.0.bn1.running_mean`, `features.denseblock1.denselayer1.norm1.weight`),
/// so a torchvision `state_dict` saved with the `safetensors` package loads as it is.
public enum Checkpoint {
    /// Every tensor the module saves: parameters then buffers, with their names.
    static func namedTensors(of module: Module) -> [(name: String, tensor: Tensor)] {
        module.namedParameters().map { ($0.name, $0.parameter.value) } + module.namedBuffers()
    }

    /// Names and shapes the module expects in a checkpoint.
    public static func expectedShapes(of module: Module) -> [(name: String, shape: [Int])] {
        namedTensors(of: module).map { ($0.name, $0.tensor.shape) }
    }

    /// Copies every parameter and buffer of `module` from `file`. Integer tensors
    /// (`num_batches_tracked`) are ignored.
    /// - Parameter ignoring: names in the file to skip without complaint (e.g. `fc.` when only
    ///   a backbone is loaded), as a predicate.
    /// - Throws: `TensorNameMismatch` listing every missing, unexpected and mis-shaped name
    ///   (nothing is changed then), or `SafeTensorsError` for an unreadable file.
    public static func load(into module: Module, from file: SafeTensorsFile,
                            ignoring: (String) -> Bool = { _ in false }) throws {
        let targets = namedTensors(of: module)
        try file.check(expected: targets.map { ($0.name, $0.tensor.shape) }, allowUnexpected: ignoring)
        for (name, tensor) in targets {
            let stored = try file.tensor(name)
            try tensor.copy(from: Tensor(shape: stored.shape, values: stored.values))
        }
    }

    /// Loads `url` into `module`; see `load(into:from:ignoring:)`.
    public static func load(into module: Module, from url: URL, ignoring: (String) -> Bool = { _ in false }) throws {
        try load(into: module, from: SafeTensorsFile(contentsOf: url), ignoring: ignoring)
    }

    /// The module's parameters and buffers as stored tensors (row-major), in definition order.
    public static func storedTensors(of module: Module) throws -> [(name: String, tensor: StoredTensor)] {
        try namedTensors(of: module).map { ($0.name, StoredTensor(shape: $0.tensor.shape, values: try $0.tensor.toArray())) }
    }

    /// Writes the module's parameters and buffers to `url` atomically, in Float32 or Float16.
    /// - Throws: `SafeTensorsError` (unwritable path, a value float16 cannot hold).
    public static func save(_ module: Module, to url: URL, storage: SafeTensorsStorage = .float32,
                            metadata: [String: String] = [:]) throws {
        try SafeTensorsWriter.write(storedTensors(of: module), to: url, storage: storage, metadata: metadata)
    }
}
