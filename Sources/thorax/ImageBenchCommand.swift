import Random
import ArgumentParser
import Foundation
import Imaging

/// `thorax image bench`: how long decoding and preprocessing take per image, one thread.
struct ImageBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time decoding and preprocessing per image (medians, one thread).",
        discussion: """
        Files are read into memory first, so disk speed does not count. The baseline is the
        decode itself: preprocessing is reported as a ratio of it, since the loader's throughput
        is decode + preprocessing per image per core. For PNG files the decode (the direct path:
        ISA-L inflate, Swift unfiltering) is also timed against libpng alone in the same run.

        Example:
          thorax image bench --images ~/nih/images --count 100
        """
    )

    @Option(help: "Directory of PNG/JPEG/DICOM files.")
    var images: String

    @Option(help: "Number of files to use (first in name order).")
    var count = 100

    @Option(help: "Output side of the preprocessed square.")
    var size = 224

    @Option(help: "Shorter side before the centre crop (0: resize straight to the output size).")
    var resize = 256

    @Option(help: "Timed passes over the files.")
    var repeats = 3

    func validate() throws {
        guard size > 0 else { throw ValidationError("--size must be positive, got \(size)") }
        guard resize == 0 || resize >= size else { throw ValidationError("--resize \(resize) is smaller than --size \(size)") }
        guard count > 0, repeats > 0 else { throw ValidationError("--count and --repeats must be positive") }
    }

    func run() throws {
        try requireInputFolder(images, option: "--images")
        let directory = URL(fileURLWithPath: images)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { ["png", "jpg", "jpeg", "dcm"].contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted().prefix(count)
        guard !names.isEmpty else {
            throw InputFileError("\(images): no .png, .jpg, .jpeg or .dcm files in this folder (--images)")
        }
        let files = try names.map { try Data(contentsOf: directory.appendingPathComponent($0)) }

        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

        var decoded: [GrayscaleImage] = []
        var decodeTimes: [Double] = []
        for pass in 0..<repeats {
            for (name, data) in zip(names, files) {
                var image: GrayscaleImage? = nil
                decodeTimes.append(try seconds { image = try ImageDecoder.decode(data, name: name) })
                if pass == 0 { decoded.append(image!) }
            }
        }
        // libpng alone, on the PNG files, in the same passes: the direct path's named baseline.
        var libPNGTimes: [Double] = [], directTimes: [Double] = []
        for _ in 0..<repeats {
            for (name, data) in zip(names, files) where ImageFormat.detect(data) == .png {
                libPNGTimes.append(try seconds { _ = try PNGCodec.decodeWithLibPNG(data, name: name) })
                directTimes.append(try seconds { _ = try PNGCodec.decode(data, name: name) })
            }
        }
        let evaluation = Preprocessing(outputSize: size, resizeSize: resize > 0 ? resize : nil)
        var training = evaluation
        training.augmentation = Augmentation()
        var output = [Float](repeating: 0, count: evaluation.valuesPerImage)
        var generator = SplitMix64(seed: 1)
        var evaluationTimes: [Double] = [], trainingTimes: [Double] = []
        for _ in 0..<repeats {
            for image in decoded {
                evaluationTimes.append(seconds { output.withUnsafeMutableBufferPointer { evaluation.apply(image, into: $0) } })
                trainingTimes.append(seconds {
                    output.withUnsafeMutableBufferPointer { training.apply(image, into: $0, generator: &generator) }
                })
            }
        }
        let decode = median(decodeTimes), evaluate = median(evaluationTimes), train = median(trainingTimes)
        let size = decoded.first.map { "\($0.width)x\($0.height)" } ?? "?"
        print("images: \(names.count) files from \(images) (first \(size)), \(repeats) passes")
        print(String(format: "decode (baseline):                %7.3f ms", decode * 1000))
        if !libPNGTimes.isEmpty {
            let libPNG = median(libPNGTimes), direct = median(directTimes)
            print(String(format: "PNG: direct path %.3f ms, libpng alone %.3f ms (%.2f x libpng)", direct * 1000, libPNG * 1000, direct / libPNG))
        }
        print(String(format: "evaluation resize+crop+normalize: %7.3f ms  (%.3f x decode)", evaluate * 1000, evaluate / decode))
        print(String(format: "training augment+normalize:       %7.3f ms  (%.3f x decode)", train * 1000, train / decode))
        print(String(format: "per core: %.0f images/s evaluation, %.0f images/s training",
                     1 / (decode + evaluate), 1 / (decode + train)))
    }
}
