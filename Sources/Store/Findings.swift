import Reports

/// The class names the database stores: the 14 ChestX-ray14 classes in Thorax order (the
/// Reports module's `Finding`), plus "No Finding".
///
/// Labels and boxes name their class by these exact strings, so a row reads the same in SQL
/// as in the NIH files. Class index `i` in a loader's label vector is `Findings.classes[i]`.
public enum Findings {
    /// The 14 classes, in the order every part of Thorax uses.
    public static let classes: [String] = Finding.allCases.map(\.rawValue)

    /// The label of an image or report with none of the 14 findings.
    public static let noFinding = Finding.noFindingName

    /// The 14 classes and "No Finding": every class name a label row may hold.
    public static let labelClasses: [String] = classes + [noFinding]

    /// Index of each of the 14 classes in `classes`.
    public static let index: [String: Int] = Dictionary(
        uniqueKeysWithValues: classes.enumerated().map { ($0.element, $0.offset) })

    /// Names the NIH files use for a class under another name: the box file's "Infiltrate".
    public static let nihAliases: [String: String] = ["Infiltrate": "Infiltration"]
}
