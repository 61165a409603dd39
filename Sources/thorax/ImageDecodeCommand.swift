import ArgumentParser
import Foundation
import Imaging

/// `thorax image decode`: decodes files to 8-bit gray PNGs (what training sees).
struct ImageDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode PNG, JPEG or DICOM files to 8-bit grayscale PNGs.",
        discussion: """
        Each INPUT becomes OUTPUT-DIRECTORY/<name>.png. A file that cannot be decoded is
        reported on standard error and skipped; the exit status is 1 when any failed. The
        output directory is created (with the folders above it) when the first file decodes.
        With --stored-values, DICOM inputs also write <name>.i32: the first frame's stored
        values (before windowing) as little-endian int32, row-major.

        Example:
          thorax image decode ~/nih/dicom/*.dcm --output-directory out/decoded
        """
    )

    @Argument(help: "Image files to decode.")
    var inputs: [String]

    @Option(name: .long, help: "Directory for the decoded PNGs (created when missing).")
    var outputDirectory: String

    @Flag(name: .long, help: "Also write DICOM stored values as <name>.i32 (int32, little endian).")
    var storedValues = false

    func run() throws {
        try requireOutputFolder(outputDirectory, option: "--output-directory")
        let directory = URL(fileURLWithPath: outputDirectory)
        // Made when the first file has decoded: a run that decodes nothing leaves nothing behind.
        var made = false
        func makeDirectory() throws {
            if !made { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
            made = true
        }
        let progress = ProgressLine("decode", total: inputs.count, unit: "files")
        var failures = 0
        for (index, input) in inputs.enumerated() {
            let url = URL(fileURLWithPath: input)
            let base = directory.appendingPathComponent(url.deletingPathExtension().lastPathComponent)
            do {
                let data: Data
                do { data = try Data(contentsOf: url) } catch {
                    throw ImagingError(file: input, reason: PathKind(input) == .missing ? "no such file"
                        : PathKind(input) == .folder ? "a folder, not a file" : "cannot read the file")
                }
                if ImageFormat.detect(data) == .dicom {
                    let file = try DICOMFile(data, name: input)
                    let image = try file.image()
                    let values = storedValues ? try file.storedValues() : nil
                    try makeDirectory()
                    try image.writePNG(to: base.appendingPathExtension("png"))
                    if let values {
                        let bytes = values.withUnsafeBufferPointer { Data(buffer: $0) }   // x86-64 and arm64: little endian
                        try bytes.write(to: base.appendingPathExtension("i32"), options: .atomic)
                    }
                } else {
                    let image = try ImageDecoder.decode(data, name: input)
                    try makeDirectory()
                    try image.writePNG(to: base.appendingPathExtension("png"))
                }
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            }
            progress.update(index + 1)
        }
        progress.finish()
        print("decoded \(inputs.count - failures) of \(inputs.count) files" + (made ? " into \(outputDirectory)" : "; nothing written"))
        if failures > 0 { throw ExitCode(1) }
    }
}
