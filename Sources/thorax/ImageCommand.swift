import ArgumentParser

/// `thorax image`: decode, inspect and benchmark image files (PNG, JPEG, DICOM).
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Decode, inspect and benchmark X-ray image files (PNG, JPEG, DICOM).",
        discussion: """
        Example:
          thorax image info ~/nih/dicom/test1.dcm
        """,
        subcommands: [ImageDecodeCommand.self, ImageInfoCommand.self, ImageBenchCommand.self]
    )
}
