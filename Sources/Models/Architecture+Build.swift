import NN

extension Architecture {
    /// The plain torchvision classifier with `classCount` outputs, as `torchvision.models.<name>()`.
    public func makeClassifier(classCount: Int, seed: UInt64 = 0) throws -> Backbone {
        try makeNetwork(classCount: classCount, seed: seed)
    }

    /// The network without its classifier, for `WeaklySupervisedModel`, reducing its input by
    /// `outputStride`.
    /// - Throws: `ArchitectureError.noDilatedForm` for output stride 16 on ResNet-18/34 or DenseNet-121.
    public func makeBackbone(outputStride: OutputStride = .thirtyTwo, seed: UInt64 = 0) throws -> Backbone {
        try makeNetwork(classCount: nil, outputStride: outputStride, seed: seed)
    }

    /// Whether the architecture can be built at `outputStride`.
    public func supports(_ outputStride: OutputStride) -> Bool {
        switch self {
        case .resnet50, .resnet101, .efficientnetLite0: return true
        case .resnet18, .resnet34, .densenet121: return outputStride == .thirtyTwo
        }
    }

    private func makeNetwork(classCount: Int?, outputStride: OutputStride = .thirtyTwo, seed: UInt64) throws -> Backbone {
        guard supports(outputStride) else { throw ArchitectureError.noDilatedForm(self) }
        switch self {
        case .resnet18: return try ResNet(depth: .resNet18, classCount: classCount, seed: seed)
        case .resnet34: return try ResNet(depth: .resNet34, classCount: classCount, seed: seed)
        case .resnet50: return try ResNet(depth: .resNet50, classCount: classCount, outputStride: outputStride, seed: seed)
        case .resnet101: return try ResNet(depth: .resNet101, classCount: classCount, outputStride: outputStride, seed: seed)
        case .densenet121: return try DenseNet(configuration: .denseNet121, classCount: classCount, seed: seed)
        case .efficientnetLite0:
            return try EfficientNetLite0(classCount: classCount, outputStride: outputStride, seed: seed)
        }
    }
}
