import Random

/// K patient-level folds of a set of images, for cross-validation: every image in exactly one
/// fold, all images of a patient in the same fold, fold sizes in images as even as whole
/// patients allow, and the assignment a function of the images, their patients and the seed
/// alone (not of the order the images are given in).
///
/// Patients are ordered by identifier, shuffled with the seed (`SplitMix64`), then sorted by
/// image count, largest first (a stable sort, so equal counts keep the shuffled order); each
/// goes to the fold with the fewest images so far, the lowest-numbered on a tie — the greedy
/// rule that keeps the largest patients from piling up in one fold.
public struct PatientFolds: Equatable, Sendable {
    /// Image ids per fold, each ascending.
    public let folds: [[Int64]]
    /// Patients per fold.
    public let patientCounts: [Int]

    /// - Parameters:
    ///   - patients: the patient identifier of each image id to fold.
    ///   - count: K, at least 2 and at most the number of patients.
    ///   - seed: the shuffle's seed.
    /// - Throws: `StoreError.invalidRequest` for K < 2 or more folds than patients.
    public init(patients: [Int64: String], count: Int, seed: UInt64) throws {
        var imagesByPatient: [String: [Int64]] = [:]
        for (image, patient) in patients { imagesByPatient[patient, default: []].append(image) }
        guard count >= 2 else { throw StoreError.invalidRequest("cross-validation needs at least 2 folds, got \(count)") }
        guard count <= imagesByPatient.count else {
            throw StoreError.invalidRequest("\(count) folds need at least \(count) patients; the images have \(imagesByPatient.count)")
        }
        var order = imagesByPatient.keys.sorted()
        var generator = SplitMix64(seed: seed)
        generator.shuffle(&order)
        let bySize = order.enumerated().sorted { a, b in
            let (sizeA, sizeB) = (imagesByPatient[a.element]!.count, imagesByPatient[b.element]!.count)
            return sizeA != sizeB ? sizeA > sizeB : a.offset < b.offset
        }.map(\.element)
        var folds = [[Int64]](repeating: [], count: count)
        var patientCounts = [Int](repeating: 0, count: count)
        for patient in bySize {
            let smallest = folds.indices.min { folds[$0].count != folds[$1].count ? folds[$0].count < folds[$1].count : $0 < $1 }!
            folds[smallest] += imagesByPatient[patient]!
            patientCounts[smallest] += 1
        }
        self.folds = folds.map { $0.sorted() }
        self.patientCounts = patientCounts
    }

    /// The fold (0-based) of each image id.
    public var foldOfImage: [Int64: Int] {
        var result: [Int64: Int] = [:]
        for (fold, images) in folds.enumerated() { for image in images { result[image] = fold } }
        return result
    }
}
