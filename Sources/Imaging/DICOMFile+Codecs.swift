import CCharLS
import COpenJPEG
import Foundation

extension DICOMFile {
    /// Decodes one frame of encapsulated pixel data by transfer syntax: JPEG baseline/extended
    /// 8-bit (libjpeg-turbo), extended 12-bit monochrome (Swift), JPEG lossless (Swift), JPEG-LS (CharLS), JPEG 2000 (OpenJPEG),
    /// RLE (Swift). Anything else throws, naming the syntax; so does a codestream declaring more
    /// pixels than `limits` allows.
    func decodeEncapsulated(_ frame: [UInt8], limits: ImagingLimits) throws -> DICOMFrameSamples {
        let syntax = metadata.transferSyntaxUID
        let label = DICOMTransferSyntax.describe(syntax)
        switch syntax {
        case DICOMTransferSyntax.jpegBaseline, DICOMTransferSyntax.jpegExtended:
            let data = Data(frame)
            if let sof = JPEGMarkers.startOfFrame(in: data), sof.precision != 8 {
                // libjpeg-turbo 2.1 decodes 8-bit only: 12-bit (Process 4) goes to the Swift decoder.
                guard sof.precision == 12, sof.components == 1 else {
                    throw error("transfer syntax \(label) with \(sof.precision)-bit samples and \(sof.components) components is not supported (12-bit monochrome is)")
                }
                let image: JPEGDecodedImage
                do { image = try SequentialJPEGDecoder.decode(frame, limits: limits) } catch let failure as JPEGDecodingFailure {
                    throw error("\(label) 12-bit frame: \(failure.reason)")
                }
                try checkSize(image.width, image.height, label)
                return DICOMFrameSamples(channels: 1, samples: image.samples)
            }
            let image: GrayscaleImage
            do { image = try JPEGCodec.decode(data, name: name, limits: limits) } catch let failure as ImagingError {
                throw error("\(label) frame: \(failure.reason)")
            }
            return DICOMFrameSamples(channels: 1, samples: image.pixels.map { UInt32($0) })
        case DICOMTransferSyntax.jpegLossless, DICOMTransferSyntax.jpegLosslessFirstOrder:
            let image: JPEGDecodedImage
            do { image = try LosslessJPEGDecoder.decode(frame, limits: limits) } catch let failure as JPEGDecodingFailure {
                throw error("\(label) frame: \(failure.reason)")
            }
            try checkSize(image.width, image.height, label)
            return DICOMFrameSamples(channels: image.components, samples: image.samples)
        case DICOMTransferSyntax.jpegLSLossless, DICOMTransferSyntax.jpegLSNearLossless:
            return try decodeJPEGLS(frame, label, limits: limits)
        case DICOMTransferSyntax.jpeg2000Lossless, DICOMTransferSyntax.jpeg2000:
            return try decodeJPEG2000(frame, label, limits: limits)
        case DICOMTransferSyntax.rleLossless:
            return try RLEDecoder.decode(frame, metadata: metadata, name: name)
        default:
            throw error("unsupported transfer syntax \(label)")
        }
    }

    func checkSize(_ width: Int, _ height: Int, _ label: String) throws {
        guard width == metadata.columns && height == metadata.rows else {
            throw error("\(label) frame is \(width)x\(height), the header says \(metadata.columns)x\(metadata.rows)")
        }
    }

    /// The most pixels a compressed frame may declare before it is decoded: the header's Rows ×
    /// Columns (a frame of another size is refused after decoding anyway, so a codestream that
    /// declares more is refused before the codec spends time and memory on it), within `limits`.
    func frameLimit(_ limits: ImagingLimits) -> Int { min(limits.maximumPixels, metadata.rows * metadata.columns) }

    func decodeJPEGLS(_ frame: [UInt8], _ label: String, limits: ImagingLimits) throws -> DICOMFrameSamples {
        var pixels: UnsafeMutableRawPointer? = nil
        var width: Int32 = 0, height: Int32 = 0, bits: Int32 = 0, components: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = frame.withUnsafeBytes {
            thorax_jpegls_decode($0.baseAddress, $0.count, frameLimit(limits), &pixels, &width, &height, &bits, &components,
                                 &message, message.count)
        }
        guard status == 0, let pixels else { throw error("\(label) frame: CharLS: \(String(cString: message))") }
        defer { free(pixels) }
        try checkSize(Int(width), Int(height), label)
        let count = Int(width) * Int(height) * Int(components)
        var samples = [UInt32](repeating: 0, count: count)
        if bits <= 8 {
            let bytes = pixels.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { samples[i] = UInt32(bytes[i]) }
        } else {
            let words = pixels.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { samples[i] = UInt32(words[i]) }
        }
        return DICOMFrameSamples(channels: Int(components), samples: samples)
    }

    func decodeJPEG2000(_ frame: [UInt8], _ label: String, limits: ImagingLimits) throws -> DICOMFrameSamples {
        var pixels: UnsafeMutablePointer<Int32>? = nil
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0, precision: Int32 = 0, isSigned: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = frame.withUnsafeBufferPointer {
            thorax_j2k_decode($0.baseAddress, $0.count, frameLimit(limits), &pixels, &width, &height, &components, &precision,
                              &isSigned, &message, message.count)
        }
        guard status == 0, let pixels else { throw error("\(label) frame: OpenJPEG: \(String(cString: message))") }
        defer { free(pixels) }
        try checkSize(Int(width), Int(height), label)
        let count = Int(width) * Int(height) * Int(components)
        // Signed values come back as Int32; storedValues() re-applies the two's complement of Bits Stored.
        let samples = (0..<count).map { UInt32(bitPattern: pixels[$0]) }
        return DICOMFrameSamples(channels: Int(components), samples: samples)
    }
}
