import Foundation
import HTTPTypes
import Hummingbird
import Service

/// The pages, scripts and styles shipped as the module's `Static` resources, read once at
/// start and served from memory by name: a name that is not one of them is a 404, so no
/// request path can reach another file (`..`, absolute paths and links never touch the disk).
struct StaticFiles: Sendable {
    /// File name (relative to `Static`, `/`-separated) → bytes.
    let files: [String: Data]

    /// Media types by extension; the page uses no others.
    static let contentTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "json": "application/json",
    ]

    /// Every file under the module's `Static` folder.
    /// - Throws: `ServiceError` (500) when the resources are not where the package put them.
    static func bundled() throws -> StaticFiles {
        guard let root = Bundle.module.url(forResource: "Static", withExtension: nil) else {
            throw ServiceError(.internalServerError, "the viewer's pages are missing from the Viewer module's resources")
        }
        return try StaticFiles(root: root)
    }

    /// Reads every regular file under `root` with a known extension.
    init(root: URL) throws {
        var files: [String: Data] = [:]
        let rootPath = root.resolvingSymlinksInPath().path
        let enumerator = FileManager.default.enumerator(at: root.resolvingSymlinksInPath(), includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  Self.contentTypes[url.pathExtension] != nil else { continue }
            let name = String(url.resolvingSymlinksInPath().path.dropFirst(rootPath.count + 1))
            files[name] = try Data(contentsOf: url)
        }
        self.files = files
    }

    init(files: [String: Data]) {
        self.files = files
    }

    /// The file `name` with its media type; 404 for any other name.
    func response(for name: String) throws -> Response {
        guard let data = files[name], let type = Self.contentTypes[(name as NSString).pathExtension] else {
            throw ServiceError.notFound("no viewer file \"\(name.prefix(100))\"")
        }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
