import Imaging

/// A display window over modality values (DICOM's VOI LUT function LINEAR, PS3.3
/// C.11.2.1.2.1), as the viewer's window/level drag sets it. Imaging renders a file with its
/// own stored window; this one is chosen per request, so it is applied here, by hand, to the
/// values Imaging decodes.
public struct DisplayWindow: Sendable, Equatable {
    public var center: Double
    public var width: Double

    public init(center: Double, width: Double) {
        self.center = center
        self.width = width
    }

    /// The 8-bit output of modality value `x`: 0 at or below c − 0.5 − (w − 1)/2, 255 above
    /// c − 0.5 + (w − 1)/2, linear between (a width of 1 or less is a threshold at c − 0.5).
    public func output(_ x: Double) -> UInt8 {
        let lower = center - 0.5 - (width - 1) / 2, upper = center - 0.5 + (width - 1) / 2
        if x <= lower { return 0 }
        if x > upper { return 255 }
        let y = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255
        return UInt8(min(max(y.rounded(), 0), 255))
    }

    /// The file's first frame: stored values through the Modality LUT (rescale slope and
    /// intercept), this window, and MONOCHROME1 inverted so that 0 is black.
    /// - Throws: `ImagingError` when the pixel data cannot be decoded (naming the file).
    public func render(_ file: DICOMFile) throws -> GrayscaleImage {
        let values = try file.storedValues()
        let m = file.metadata
        let invert = m.photometricInterpretation == "MONOCHROME1"
        let pixels = values.map { stored -> UInt8 in
            let shown = output(Double(stored) * m.rescaleSlope + m.rescaleIntercept)
            return invert ? 255 - shown : shown
        }
        return GrayscaleImage(width: m.columns, height: m.rows, pixels: pixels)
    }

    /// An 8-bit image with its gray values as the modality values.
    public func render(_ image: GrayscaleImage) -> GrayscaleImage {
        let table = (0...255).map { output(Double($0)) }
        return GrayscaleImage(width: image.width, height: image.height, pixels: image.pixels.map { table[Int($0)] })
    }
}
