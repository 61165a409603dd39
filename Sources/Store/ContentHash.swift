import CCrypto
import Foundation

/// SHA-256 of a file's bytes, as 64 lowercase hex digits (OpenSSL's EVP digest).
///
/// Identical files get identical hashes, so the database can tell a re-encoded or replaced
/// image from the one it was labelled on. Throws `StoreError.cannotRead` naming the file.
public func contentHash(of path: String) throws -> String {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
        throw StoreError.cannotRead(file: path, reason: error.localizedDescription)
    }
    return contentHash(of: data)
}

/// SHA-256 of `data`, as 64 lowercase hex digits.
public func contentHash(of data: Data) -> String {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = data.withUnsafeBytes { bytes in
        EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, EVP_sha256(), nil)
    }
    // EVP_Digest fails only without memory or without the algorithm, neither recoverable here.
    precondition(ok == 1 && length == 32, "OpenSSL SHA-256 failed")
    let hex = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(64)
    for byte in digest[0..<32] {
        text.append(hex[Int(byte >> 4)])
        text.append(hex[Int(byte & 15)])
    }
    return String(decoding: text, as: UTF8.self)
}
