/// The classifier architectures Thorax builds, by the names the command line uses
/// (torchvision's function names; `efficientnet-lite0` as the EfficientNet package names it).
public enum Architecture: String, CaseIterable, Sendable {
    case resnet18, resnet34, resnet50, resnet101, densenet121
    case efficientnetLite0 = "efficientnet-lite0"

    /// Parses a command-line name.
    /// - Throws: `ArchitectureError.unknown` listing the valid names.
    public init(name: String) throws {
        guard let architecture = Architecture(rawValue: name.lowercased()) else {
            throw ArchitectureError.unknown(name)
        }
        self = architecture
    }

    /// The name of the final classifier layer in torchvision (`fc` or `classifier`; `_fc` in
    /// the EfficientNet package).
    public var classifierName: String {
        switch self {
        case .densenet121: return "classifier"
        case .efficientnetLite0: return "_fc"
        default: return "fc"
        }
    }
}

/// An architecture name that Thorax does not know.
public enum ArchitectureError: Error, CustomStringConvertible, Equatable {
    case unknown(String)
    case unsupportedOutputStride(Int)
    /// ResNet-18 and -34's basic blocks and DenseNet have no dilated form here (torchvision
    /// refuses it for basic blocks too).
    case noDilatedForm(Architecture)

    public var description: String {
        switch self {
        case .unsupportedOutputStride(let stride):
            return "output stride \(stride) is not supported; choose 16 or 32"
        case .noDilatedForm(let architecture):
            return "\(architecture.rawValue) has no output stride 16; choose resnet50, resnet101 or efficientnet-lite0"
        case .unknown(let name):
            return "unknown architecture '\(name)'; choose one of: " + Architecture.allCases.map(\.rawValue).joined(separator: ", ")
        }
    }
}
