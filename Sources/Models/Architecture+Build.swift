import NN

extension Architecture {
    /// The plain torchvision classifier with `classCount` outputs, as `torchvision.models.<name>()`.
    public func makeClassifier(classCount: Int, seed: UInt64 = 0) throws -> Backbone {
        try makeNetwork(classCount: classCount, seed: seed)
    }

    /// The network without its classifier, for `WeaklySupervisedModel`.
    public func makeBackbone(seed: UInt64 = 0) throws -> Backbone {
        try makeNetwork(classCount: nil, seed: seed)
    }

    private func makeNetwork(classCount: Int?, seed: UInt64) throws -> Backbone {
        switch self {
        case .resnet18: return try ResNet(depth: .resNet18, classCount: classCount, seed: seed)
        case .resnet34: return try ResNet(depth: .resNet34, classCount: classCount, seed: seed)
        case .resnet50: return try ResNet(depth: .resNet50, classCount: classCount, seed: seed)
        case .resnet101: return try ResNet(depth: .resNet101, classCount: classCount, seed: seed)
        case .densenet121: return try DenseNet(configuration: .denseNet121, classCount: classCount, seed: seed)
        case .efficientnetLite0: return try EfficientNetLite0(classCount: classCount, seed: seed)
        }
    }
}
