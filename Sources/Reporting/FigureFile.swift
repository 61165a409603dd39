import Evaluation
import Foundation
import Imaging

/// Writing figures as PNG with the error type the runners report.
public enum FigureFile {
    /// Creates `path` and its parents if needed.
    /// - Throws: `EvaluationError.cannotWrite` naming the folder.
    public static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw EvaluationError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// Writes `figure` to `url` as PNG (the fast encoding: figures are many and large), atomically.
    /// - Throws: `EvaluationError.cannotWrite` naming the file.
    public static func write(_ figure: RGBImage, to url: URL) throws {
        do {
            try figure.writePNG(to: url, compression: .fast)
        } catch let error as ImagingError {
            throw EvaluationError.cannotWrite(path: url.path, reason: error.reason)
        }
    }
}
