import Foundation

/// DICOM unique identifiers made from UUIDs, under the root PS3.5 B.2 gives for them:
/// "2.25." followed by the UUID's 128 bits read as one unsigned decimal integer. No
/// organisation root needs registering, and a random (version 4) UUID makes collisions as
/// unlikely as UUIDs themselves.
public enum DICOMUID {
    /// A new UID from a random UUID, e.g. `2.25.329800735698586629295641978511506172918`.
    public static func make() -> String {
        make(from: UUID())
    }

    /// The UID of `uuid` (PS3.5 B.2), at most 44 characters.
    public static func make(from uuid: UUID) -> String {
        let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
        return "2.25." + decimal(bigEndian: bytes)
    }

    /// The unsigned integer whose big-endian bytes are `bytes`, in decimal. Long division by
    /// 10⁹ on 32-bit limbs: UInt128 needs macOS 15 and the package supports macOS 13.
    static func decimal(bigEndian bytes: [UInt8]) -> String {
        var limbs: [UInt32] = stride(from: 0, to: bytes.count, by: 4).map { start in
            bytes[start..<min(start + 4, bytes.count)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        var chunks: [UInt32] = []   // base-10⁹ digits, least significant first
        while limbs.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for i in limbs.indices {
                let value = remainder << 32 | UInt64(limbs[i])
                limbs[i] = UInt32(value / 1_000_000_000)
                remainder = value % 1_000_000_000
            }
            chunks.append(UInt32(remainder))
        }
        guard let top = chunks.popLast() else { return "0" }
        return chunks.reversed().reduce(String(top)) { text, chunk in
            let digits = String(chunk)
            return text + String(repeating: "0", count: 9 - digits.count) + digits
        }
    }

    /// What makes `uid` invalid (PS3.5 9.1): more than 64 characters, an empty component, or
    /// a component with a leading zero; nil when it is valid.
    public static func problem(with uid: String) -> String? {
        guard !uid.isEmpty else { return "a UID is empty" }
        guard uid.utf8.count <= 64 else { return "UID \(uid) has \(uid.utf8.count) characters, at most 64 are allowed" }
        for component in uid.split(separator: ".", omittingEmptySubsequences: false) {
            guard !component.isEmpty, component.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return "UID \(uid.debugDescription) has an empty or non-numeric component"
            }
            if component.count > 1 && component.first == "0" {
                return "UID \(uid) has a component with a leading zero (\(component))"
            }
        }
        return nil
    }
}
