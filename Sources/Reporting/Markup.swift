import Evaluation
import Foundation

/// Escaping and file writing shared by the SVG and HTML writers.
enum Markup {
    /// `text` with the five XML/HTML special characters replaced by entities, safe inside
    /// element content and inside single- or double-quoted attributes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A relative file path as an escaped `href`/`src` value: each path component
    /// percent-encoded (spaces, #, ?), then HTML-escaped.
    static func link(_ path: String) -> String {
        let encoded = path.split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#;"))) ?? String($0)
        }.joined(separator: "/")
        return escape(encoded)
    }

    /// A number for SVG coordinates: two decimals, no exponent.
    static func coordinate(_ value: Double) -> String {
        String(format: "%.2f", value)
    }

    /// Writes `text` as UTF-8 to `url` atomically: to a temporary file beside it, then renamed
    /// over it, so a reader sees the old file or the whole new one, never a part.
    ///
    /// - Throws: `EvaluationError.cannotWrite` naming the file and the system's reason.
    static func writeAtomically(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw EvaluationError.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }
}
