/// Maps values in [0, 1] to colours for heatmaps.
public enum Colormap: Sendable {
    /// MATLAB's "jet": dark blue (0, 0, 0.5) through blue, cyan, yellow and red to dark red
    /// (0.5, 0, 0), each channel the piecewise-linear clamp(1.5 − |4t − k|) with k = 3, 2, 1
    /// for red, green, blue.
    case jet

    /// The colour of `t` (clamped to [0, 1]; NaN counts as 0) as (red, green, blue).
    @inline(__always)
    public func color(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let value = t.isNaN ? 0 : min(max(t, 0), 1)
        @inline(__always) func channel(_ k: Float) -> UInt8 {
            roundedByte(min(max(1.5 - abs(4 * value - k), 0), 1) * 255)
        }
        switch self {
        case .jet: return (channel(3), channel(2), channel(1))
        }
    }
}

/// `UInt8(value.rounded())` for a value in [0, 255]: rounding half away from zero without the
/// call to libm's `roundf` that `rounded()` becomes on baseline x86-64, which cost most of a
/// 1024 × 1024 figure (six calls a pixel). Exact: the value minus its truncation is computed
/// without rounding for values below 2²³, and is compared with one half.
@inline(__always)
func roundedByte(_ value: Float) -> UInt8 {
    let whole = Int32(value)
    return UInt8(truncatingIfNeeded: whole + (value - Float(whole) >= 0.5 ? 1 : 0))
}
