/// Maps values in [0, 1] to colours for heatmaps.
public enum Colormap: Sendable {
    /// MATLAB's "jet": dark blue (0, 0, 0.5) through blue, cyan, yellow and red to dark red
    /// (0.5, 0, 0), each channel the piecewise-linear clamp(1.5 − |4t − k|) with k = 3, 2, 1
    /// for red, green, blue.
    case jet

    /// The colour of `t` (clamped to [0, 1]; NaN counts as 0) as (red, green, blue).
    public func color(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let value = t.isNaN ? 0 : min(max(t, 0), 1)
        func channel(_ k: Float) -> UInt8 {
            UInt8((min(max(1.5 - abs(4 * value - k), 0), 1) * 255).rounded())
        }
        switch self {
        case .jet: return (channel(3), channel(2), channel(1))
        }
    }
}
