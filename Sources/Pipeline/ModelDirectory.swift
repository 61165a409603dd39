import Foundation

/// Finds model directories by the names commands take for `--model`.
public enum ModelDirectory {
    /// The name that means the bundled model.
    public static let defaultName = "default"
    /// Environment variable that, when set, names the directory `default` resolves to.
    public static let environmentVariable = "THORAX_DEFAULT_MODEL"

    /// The directory a `--model` value names. `default` resolves, first found, to:
    /// 1. `$THORAX_DEFAULT_MODEL`;
    /// 2. `Models/default` next to the running executable (an installed `thorax` with its
    ///    `Models/` folder beside it), or `../share/thorax/Models/default` from it;
    /// 3. `Models/default` in the nearest folder above the executable that has one (the
    ///    repository when running `.build/<configuration>/thorax`);
    /// 4. `Models/default` in the current directory or a folder above it.
    /// Any other value is a directory path. The directory must hold `model.json`.
    /// - Throws: `ChestModelError.modelNotFound` saying where it looked.
    public static func resolve(_ name: String, executable: URL? = Bundle.main.executableURL,
                               currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let fileManager = FileManager.default
        func isModel(_ url: URL) -> Bool { fileManager.fileExists(atPath: url.appendingPathComponent(ModelCard.fileName).path) }
        guard name == defaultName else {
            let url = URL(fileURLWithPath: name)
            guard isModel(url) else {
                throw ChestModelError.modelNotFound("\(name): not a model directory (no \(ModelCard.fileName) in it)")
            }
            return url
        }
        var candidates: [URL] = []
        if let path = environment[environmentVariable], !path.isEmpty { candidates.append(URL(fileURLWithPath: path)) }
        if let executable {
            let folder = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            candidates.append(folder.appendingPathComponent("Models/default"))
            candidates.append(folder.appendingPathComponent("../share/thorax/Models/default").standardizedFileURL)
            candidates += ancestors(of: folder).map { $0.appendingPathComponent("Models/default") }
        }
        candidates += ([currentDirectory] + ancestors(of: currentDirectory)).map { $0.appendingPathComponent("Models/default") }
        if let found = candidates.first(where: isModel) { return found }
        throw ChestModelError.modelNotFound(
            "the bundled model was not found (looked for Models/default/\(ModelCard.fileName) next to and above the thorax executable and the current directory; set \(environmentVariable) to its directory)")
    }

    /// The folders above `url`, nearest first.
    static func ancestors(of url: URL) -> [URL] {
        var result: [URL] = []
        var current = url.standardizedFileURL
        while current.path != "/" {
            current = current.deletingLastPathComponent()
            result.append(current)
        }
        return result
    }
}
