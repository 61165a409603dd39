import Foundation

extension DICOMFile {
    /// Decodes one frame of encapsulated pixel data by transfer syntax.
    func decodeEncapsulated(_ frame: [UInt8]) throws -> DICOMFrameSamples {
        let syntax = metadata.transferSyntaxUID
        switch syntax {
        case DICOMTransferSyntax.jpegBaseline, DICOMTransferSyntax.jpegExtended:
            let data = Data(frame)
            if let sof = JPEGMarkers.startOfFrame(in: data), sof.precision != 8 {
                throw error("transfer syntax \(DICOMTransferSyntax.describe(syntax)) with \(sof.precision)-bit samples is not supported: Debian's libjpeg-turbo 2.1 decodes 8-bit JPEG only (12-bit needs libjpeg-turbo 3)")
            }
            let image: GrayscaleImage
            do { image = try JPEGCodec.decode(data, name: name) } catch let failure as ImagingError {
                throw error("\(DICOMTransferSyntax.describe(syntax)) frame: \(failure.reason)")
            }
            return DICOMFrameSamples(channels: 1, samples: image.pixels.map { UInt32($0) })
        case DICOMTransferSyntax.rleLossless:
            return try RLEDecoder.decode(frame, metadata: metadata, name: name)
        default:
            throw error("unsupported transfer syntax \(DICOMTransferSyntax.describe(syntax))")
        }
    }
}
