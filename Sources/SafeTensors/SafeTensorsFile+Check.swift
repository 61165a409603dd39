/// How a file's tensors differ from what a model expects: every missing, unexpected and
/// mis-shaped name, so that one error message shows all of them.
public struct TensorNameMismatch: Error, CustomStringConvertible, Equatable {
    public let file: String
    /// Expected names absent from the file.
    public let missing: [String]
    /// Floating-point names in the file that the model does not have.
    public let unexpected: [String]
    /// Names present in both with different shapes: (name, expected, found).
    public let misshaped: [Misshaped]

    public struct Misshaped: Equatable, Sendable {
        public let name: String
        public let expected: [Int]
        public let found: [Int]
    }

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing \(missing.count): " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { parts.append("unexpected \(unexpected.count): " + unexpected.joined(separator: ", ")) }
        if !misshaped.isEmpty {
            parts.append("mis-shaped \(misshaped.count): " + misshaped.map {
                "\($0.name) expected \($0.expected) found \($0.found)"
            }.joined(separator: ", "))
        }
        return "\(file): tensors do not match the model; " + parts.joined(separator: "; ")
    }
}

extension SafeTensorsFile {
    /// Checks that the file's floating-point tensors are exactly `expected` (name → shape).
    /// Integer tensors such as `num_batches_tracked` are ignored wherever they appear.
    /// - Parameter allowUnexpected: names accepted though not expected (e.g. a classifier
    ///   the caller drops), as a predicate.
    /// - Throws: `TensorNameMismatch` listing every difference, sorted by name.
    public func check(expected: [(name: String, shape: [Int])],
                      allowUnexpected: (String) -> Bool = { _ in false }) throws {
        var missing: [String] = []
        var misshaped: [TensorNameMismatch.Misshaped] = []
        let expectedNames = Set(expected.map(\.name))
        for (name, shape) in expected {
            guard let entry = entry(name), entry.dtype.isFloatingPoint else {
                missing.append(name)
                continue
            }
            if entry.shape != shape {
                misshaped.append(.init(name: name, expected: shape, found: entry.shape))
            }
        }
        let unexpected = floatNames.filter { !expectedNames.contains($0) && !allowUnexpected($0) }
        guard missing.isEmpty, unexpected.isEmpty, misshaped.isEmpty else {
            throw TensorNameMismatch(file: path, missing: missing.sorted(), unexpected: unexpected.sorted(),
                                     misshaped: misshaped.sorted { $0.name < $1.name })
        }
    }
}
