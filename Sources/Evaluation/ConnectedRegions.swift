/// A connected set of pixels in a binary mask and the smallest rectangle around it.
public struct ConnectedRegion: Equatable, Sendable {
    /// Inclusive pixel bounds.
    public var minX: Int
    public var minY: Int
    public var maxX: Int
    public var maxY: Int
    /// Number of pixels in the region (not the rectangle's area).
    public var pixelCount: Int

    public init(minX: Int, minY: Int, maxX: Int, maxY: Int, pixelCount: Int) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
        self.pixelCount = pixelCount
    }

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
/// Hand-written because no Swift or Debian library here labels components. Run-based labelling:
/// each row is cut into runs of set pixels, a run joins (union–find) every run of the row above
/// that touches it including diagonally, and each region's bounds and pixel count are summed
/// over its runs. A thresholded 1024 × 1024 heatmap has a few runs per row, so this costs one
/// scan of the mask; tests compare it with a plain flood-fill twin.
///
/// - Parameters:
///   - mask: (height, width) row-major; true marks a set pixel.
///   - width: columns; height: rows.
/// - Returns: regions ordered by their first pixel in raster order (top row first, then left).
/// - Precondition: mask.count == width × height.
public func connectedRegions(mask: [Bool], width: Int, height: Int) -> [ConnectedRegion] {
    precondition(mask.count == width * height, "mask has \(mask.count) pixels, expected \(width)×\(height)")
    // Runs in raster order: row, first and last column (inclusive), and a union–find parent.
    var runRow: [Int] = [], runStart: [Int] = [], runEnd: [Int] = [], parent: [Int] = []

    func root(_ run: Int) -> Int {
        var node = run
        while parent[node] != node {
            parent[node] = parent[parent[node]]  // path halving
            node = parent[node]
        }
        return node
    }

    var previousRow = 0..<0  // the runs of the row above
    for y in 0..<height {
        let rowFirstRun = runStart.count
        var above = previousRow.lowerBound  // first run above that may still touch a run here
        var x = 0
        let rowBase = y * width
        while x < width {
            guard mask[rowBase + x] else { x += 1; continue }
            let start = x
            while x < width && mask[rowBase + x] { x += 1 }
            let run = runStart.count
            runRow.append(y)
            runStart.append(start)
            runEnd.append(x - 1)
            parent.append(run)
            // Runs above ending left of start − 1 cannot touch this run or any later one.
            while above < previousRow.upperBound && runEnd[above] < start - 1 { above += 1 }
            var candidate = above
            while candidate < previousRow.upperBound && runStart[candidate] <= x {  // x = end + 1
                let (a, b) = (root(run), root(candidate))
                if a != b { parent[max(a, b)] = min(a, b) }  // the earlier run stays the root
                candidate += 1
            }
        }
        previousRow = rowFirstRun..<runStart.count
    }

    // Sum runs into regions; a region's slot is assigned at its first run in raster order.
    var slotOfRoot = [Int: Int]()
    var regions: [ConnectedRegion] = []
    for run in runStart.indices {
        let top = root(run)
        let length = runEnd[run] - runStart[run] + 1
        if let slot = slotOfRoot[top] {
            regions[slot].minX = min(regions[slot].minX, runStart[run])
            regions[slot].maxX = max(regions[slot].maxX, runEnd[run])
            regions[slot].maxY = runRow[run]
            regions[slot].pixelCount += length
        } else {
            slotOfRoot[top] = regions.count
            regions.append(ConnectedRegion(minX: runStart[run], minY: runRow[run], maxX: runEnd[run],
                                           maxY: runRow[run], pixelCount: length))
        }
    }
    return regions
}
