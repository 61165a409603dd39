import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An image file found on disk: where, how big, and its pixel dimensions.
public struct ImageFile: Equatable, Sendable {
    public var path: String
    public var size: Int
    public var width: Int
    public var height: Int
    /// SHA-256 of the file's bytes, when it was computed.
    public var contentHash: String?

    public init(path: String, size: Int, width: Int, height: Int, contentHash: String? = nil) {
        self.path = path
        self.size = size
        self.width = width
        self.height = height
        self.contentHash = contentHash
    }
}

/// Finds which of a set of image names exist in a directory and reads their dimensions.
///
/// Only the PNG signature and IHDR chunk (the first 24 bytes) are read — hand-written because
/// decoding 100,000 files to learn their size would take minutes and a header read takes
/// microseconds; full decoding is the Imaging module's job and the loader's.
enum ImageFileScan {
    struct ScanResult {
        /// Image name to file, for names found with a readable PNG header.
        var found: [String: ImageFile] = [:]
        /// One message per listed file that exists but could not be used (file and why).
        var problems: [String] = []
        /// PNG files in the directory that are not among the names.
        var unlisted = 0
    }

    /// Scans `directory` for `names`, hashing each file found when `hash` is set. Throws
    /// `StoreError.cannotRead` when the directory cannot be listed; a bad file only adds to
    /// `problems`.
    static func scan(_ directory: URL, names: Set<String>, hash: Bool = false) throws -> ScanResult {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw StoreError.cannotRead(file: directory.path, reason: "cannot list the directory: \(error.localizedDescription)")
        }
        let base = directory.standardizedFileURL.path
        var result = ScanResult()
        for entry in entries.sorted() {
            guard names.contains(entry) else {
                if entry.lowercased().hasSuffix(".png") { result.unlisted += 1 }
                continue
            }
            let path = base + "/" + entry
            switch readPNGHeader(path) {
            case var .success(file):
                if hash {
                    do {
                        file.contentHash = try contentHash(of: path)
                    } catch {
                        result.problems.append("\(error)")
                        continue
                    }
                }
                result.found[entry] = file
            case let .failure(message): result.problems.append("\(path): \(message.text)")
            }
        }
        return result
    }

    struct Message: Error { let text: String }

    /// Reads a PNG file's size and the width and height in its IHDR chunk.
    static func readPNGHeader(_ path: String) -> Result<ImageFile, Message> {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return .failure(Message(text: String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            return .failure(Message(text: String(cString: strerror(errno))))
        }
        var header = [UInt8](repeating: 0, count: 24)
        let count = header.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 24) }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard count == 24, Array(header[0..<8]) == signature else {
            return .failure(Message(text: "not a PNG file (bad signature)"))
        }
        guard Array(header[12..<16]) == Array("IHDR".utf8) else {
            return .failure(Message(text: "PNG file without an IHDR chunk first"))
        }
        func bigEndian(_ offset: Int) -> Int {
            header[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        let width = bigEndian(16), height = bigEndian(20)
        guard width > 0, height > 0 else { return .failure(Message(text: "PNG header with zero size")) }
        return .success(ImageFile(path: path, size: Int(status.st_size), width: width, height: height))
    }
}
