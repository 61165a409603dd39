/// A hash table from lower-cased ASCII words (as UTF-8 bytes) to small integer ids.
///
/// Hand-written because the labeller looks up every token of every report and Swift's
/// `Dictionary<String, Int>` would first need a `String` per token; this table hashes the bytes
/// in place (FNV-1a, open addressing, linear probing) and allocates nothing per lookup.
struct WordTable: Sendable {
    private var keys: [[UInt8]?]
    private var values: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: nil, count: size)
        values = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// FNV-1a over `bytes[range]`.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in range {
            h ^= UInt64(bytes[i])
            h &*= 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The id of `word`, adding it with the next free id when absent.
    mutating func intern(_ word: String) -> Int32 {
        let bytes = Array(word.utf8)
        if let existing = bytes.withUnsafeBufferPointer({ lookup($0, 0..<$0.count) }) { return existing }
        if (count + 1) * 2 > keys.count { grow() }
        let id = Int32(count)
        insert(bytes, id)
        count += 1
        return id
    }

    private mutating func insert(_ bytes: [UInt8], _ id: Int32) {
        var slot = bytes.withUnsafeBufferPointer { Self.hash($0, 0..<$0.count) } & mask
        while keys[slot] != nil { slot = (slot + 1) & mask }
        keys[slot] = bytes
        values[slot] = id
    }

    private mutating func grow() {
        let old = zip(keys, values).compactMap { key, value in key.map { ($0, value) } }
        let size = keys.count * 2
        keys = Array(repeating: nil, count: size)
        values = Array(repeating: -1, count: size)
        mask = size - 1
        for (key, value) in old { insert(key, value) }
    }

    /// The id of the already lower-cased word `bytes[range]`, or nil when it is not in the table.
    @inline(__always)
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int32? {
        var slot = Self.hash(bytes, range) & mask
        let length = range.count
        while let key = keys[slot] {
            if key.count == length {
                var equal = true
                var j = range.lowerBound
                for b in key {
                    if b != bytes[j] { equal = false; break }
                    j += 1
                }
                if equal { return values[slot] }
            }
            slot = (slot + 1) & mask
        }
        return nil
    }
}
