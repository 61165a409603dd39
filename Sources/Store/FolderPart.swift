/// The folder part of `path` as written, without touching the disk: "runs/x/metrics.csv" is in
/// "runs/x", "/x" in "/", and "x" (or "x/") in "" — the current folder. Trailing slashes are
/// ignored.
///
/// Written by hand because swift-corelibs-foundation's `NSString.deletingLastPathComponent`
/// traps on some one-component paths ("x", "a/") on Linux.
public func folderPart(of path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return "" }
    var folder = trimmed[..<slash]
    while folder.count > 1 && folder.hasSuffix("/") { folder = folder.dropLast() }
    return folder.isEmpty ? "/" : String(folder)
}
