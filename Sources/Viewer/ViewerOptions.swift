import Foundation

/// Settings of the viewer, passed in by `thorax serve`.
public struct ViewerOptions: Sendable {
    /// Where thumbnails are cached (`<id>.png`, made on first request).
    public var thumbnailDirectory: URL
    /// The bearer token that setting a human label needs; without one, labels cannot be set.
    public var labelToken: String?
    /// A thumbnail's longer side, in pixels.
    public var thumbnailSize: Int

    public init(thumbnailDirectory: URL, labelToken: String? = nil, thumbnailSize: Int = 160) {
        self.thumbnailDirectory = thumbnailDirectory
        self.labelToken = labelToken
        self.thumbnailSize = thumbnailSize
    }
}
