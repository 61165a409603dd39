/// One batch of preprocessed images, as plain contiguous floats the engine copies into its
/// tensors.
public struct Batch: Sendable {
    /// The batch's position in its epoch (0-based).
    public var index: Int
    /// Images in the batch: the batch size, or fewer in the last batch or when an image in it
    /// could not be decoded (it is left out, not replaced). Never 0: a batch whose every image
    /// failed is not yielded (the next batch's `index` then skips one).
    public var count: Int
    public var channels: Int
    public var height: Int
    public var width: Int
    /// images: (count, channels, height, width), row-major.
    public var images: [Float]
    /// labels: (count, 14) in `Findings.classes` order: 1, 0, or -1 (uncertain or unknown).
    public var labels: [Float]
    /// The database ids of the images, in batch order.
    public var imageIDs: [Int64]
    /// The image names, in batch order.
    public var names: [String]
}

/// Why the loader left an image out. Each image is reported once per loader.
public enum LoaderWarning: Sendable, Equatable, CustomStringConvertible {
    /// The database records no file for the image, or the file is not there.
    case missing(name: String, path: String?)
    /// The file is there but could not be decoded (the decoder's message names the file).
    case unreadable(name: String, reason: String)

    public var description: String {
        switch self {
        case let .missing(name, path?): return "\(name): \(path) is missing, skipped"
        case let .missing(name, nil): return "\(name): no file on disk recorded, skipped"
        case let .unreadable(name, reason): return "\(name): \(reason), skipped"
        }
    }
}
