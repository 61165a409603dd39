import NN

/// A convolutional feature extractor: an image batch (N, 3, H, W) in, feature maps
/// (N, featureChannels, H/32, W/32) out. Its parameter names are torchvision's, so a
/// torchvision checkpoint (classifier ignored) loads into it as it is.
public protocol Backbone: Layer {
    /// Channels of the feature maps (2048 for ResNet-50, 1024 for DenseNet-121).
    var featureChannels: Int { get }
    /// Whether backward computes the gradient of the input images (off saves the stem
    /// convolution's input-gradient pass in training).
    var computesInputGradient: Bool { get set }
}
