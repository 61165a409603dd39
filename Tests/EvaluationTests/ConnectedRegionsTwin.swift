@testable import Evaluation

/// The plain reference twin of `connectedRegions`: a flood fill that checks every neighbour's
/// bounds and keeps a separate visited array, written for clarity only.
func connectedRegionsReference(mask: [Bool], width: Int, height: Int) -> [ConnectedRegion] {
    var visited = [Bool](repeating: false, count: mask.count)
    var regions: [ConnectedRegion] = []
    for start in mask.indices where mask[start] && !visited[start] {
        var region = ConnectedRegion(minX: start % width, minY: start / width, maxX: start % width,
                                     maxY: start / width, pixelCount: 0)
        visited[start] = true
        var stack = [start]
        while let pixel = stack.popLast() {
            let x = pixel % width, y = pixel / width
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
