/// A connected set of pixels in a binary mask and the smallest rectangle around it.
public struct ConnectedRegion: Equatable, Sendable {
    /// Inclusive pixel bounds.
    public var minX: Int
    public var minY: Int
    public var maxX: Int
    public var maxY: Int
    /// Number of pixels in the region (not the rectangle's area).
    public var pixelCount: Int

    /// The rectangle around the region in continuous pixel coordinates: columns minX…maxX
    /// span x = minX to maxX + 1.
    public var boundingBox: BoundingBox {
        BoundingBox(x: Double(minX), y: Double(minY),
                    width: Double(maxX - minX + 1), height: Double(maxY - minY + 1))
    }
}

/// Finds the connected regions of the set pixels in a mask, with 8-connectivity: pixels that
/// touch by a side or a corner belong to one region (a diagonal streak of heat is one finding,
/// not many; scipy's `ndimage.label` with a 3×3 structure agrees, and tests compare with it).
///
/// Hand-written (a flood fill with an explicit stack, so a 1024 × 1024 region cannot overflow
/// the call stack) because no Swift or Debian library here labels components.
///
/// - Parameters:
///   - mask: (height, width) row-major; true marks a set pixel.
///   - width: columns; height: rows.
/// - Returns: regions ordered by their first pixel in raster order (top row first, then left).
/// - Precondition: mask.count == width × height.
public func connectedRegions(mask: [Bool], width: Int, height: Int) -> [ConnectedRegion] {
    precondition(mask.count == width * height, "mask has \(mask.count) pixels, expected \(width)×\(height)")
    var visited = [Bool](repeating: false, count: mask.count)
    var regions: [ConnectedRegion] = []
    var stack: [Int] = []
    for start in mask.indices where mask[start] && !visited[start] {
        var region = ConnectedRegion(minX: start % width, minY: start / width,
                                     maxX: start % width, maxY: start / width, pixelCount: 0)
        visited[start] = true
        stack.append(start)
        while let pixel = stack.popLast() {
            let x = pixel % width
            let y = pixel / width
            region.pixelCount += 1
            region.minX = min(region.minX, x)
            region.maxX = max(region.maxX, x)
            region.minY = min(region.minY, y)
            region.maxY = max(region.maxY, y)
            for neighbourY in max(0, y - 1)...min(height - 1, y + 1) {
                for neighbourX in max(0, x - 1)...min(width - 1, x + 1) {
                    let neighbour = neighbourY * width + neighbourX
                    if mask[neighbour] && !visited[neighbour] {
                        visited[neighbour] = true
                        stack.append(neighbour)
                    }
                }
            }
        }
        regions.append(region)
    }
    return regions
}
