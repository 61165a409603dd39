/// The 14 thoracic findings of ChestX-ray14, in the project's fixed order and with its names.
///
/// `rawValue` is the name used in every CSV header, JSON file and database row. "No Finding" is
/// not a case: it is derived per report (`ReportLabels.noFinding`).
public enum Finding: String, CaseIterable, Sendable, Codable, Hashable {
    case atelectasis = "Atelectasis"
    case cardiomegaly = "Cardiomegaly"
    case effusion = "Effusion"
    case infiltration = "Infiltration"
    case mass = "Mass"
    case nodule = "Nodule"
    case pneumonia = "Pneumonia"
    case pneumothorax = "Pneumothorax"
    case consolidation = "Consolidation"
    case edema = "Edema"
    case emphysema = "Emphysema"
    case fibrosis = "Fibrosis"
    case pleuralThickening = "Pleural_Thickening"
    case hernia = "Hernia"

    /// The header name of the derived "no finding" column.
    public static let noFindingName = "No Finding"

    /// The eight findings of the paper's first (ChestX-ray8) evaluation.
    public static let paperEight: [Finding] = [
        .atelectasis, .cardiomegaly, .effusion, .infiltration, .mass, .nodule, .pneumonia, .pneumothorax,
    ]

    /// The position of this finding in `allCases` (0 ..< 14).
    public var index: Int { Finding.indexByName[rawValue]! }

    private static let indexByName: [String: Int] = Dictionary(
        uniqueKeysWithValues: allCases.enumerated().map { ($1.rawValue, $0) })

    /// The finding with this name; accepts the project's names and, case-insensitively,
    /// "Pleural Thickening" and "Infiltrate" (the box file's spelling).
    public init?(name: String) {
        if let exact = Finding(rawValue: name) { self = exact; return }
        let folded = name.lowercased().replacingOccurrences(of: " ", with: "_")
        if folded == "infiltrate" { self = .infiltration; return }
        guard let match = Finding.allCases.first(where: { $0.rawValue.lowercased() == folded }) else { return nil }
        self = match
    }
}
