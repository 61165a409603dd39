import Random
import Store
import TestSupport
import XCTest

/// Patient-level folds: disjoint in patients, every image once, deterministic from the seed,
/// balanced by image count; on the shared NIH images as well.
final class PatientFoldsTests: XCTestCase {
    /// 40 patients with 1–5 images each, ids 1…
    private func patients() -> [Int64: String] {
        var result: [Int64: String] = [:]
        var id: Int64 = 1
        for patient in 0 ..< 40 {
            for _ in 0 ..< 1 + patient % 5 {
                result[id] = String(format: "%08d", 1000 + patient)
                id += 1
            }
        }
        return result
    }

    func testFoldsArePatientDisjointCoverEveryImageOnceAndAreBalanced() throws {
        let patients = patients()
        let folds = try PatientFolds(patients: patients, count: 5, seed: 7)
        XCTAssertEqual(folds.folds.count, 5)
        let all = folds.folds.flatMap { $0 }
        XCTAssertEqual(all.count, patients.count, "every image in one fold")
        XCTAssertEqual(Set(all), Set(patients.keys))
        let patientSets = folds.folds.map { Set($0.map { patients[$0]! }) }
        for a in 0 ..< 5 { for b in a + 1 ..< 5 {
            XCTAssertTrue(patientSets[a].isDisjoint(with: patientSets[b]), "folds \(a) and \(b) share a patient")
        } }
        XCTAssertEqual(folds.patientCounts, patientSets.map(\.count))
        XCTAssertEqual(folds.patientCounts.reduce(0, +), 40)
        // 120 images: greedy by size gives 24 each; no fold off by more than the largest patient (5).
        let sizes = folds.folds.map(\.count)
        XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 5, "\(sizes)")
        XCTAssertEqual(folds.foldOfImage.count, patients.count)
    }

    func testFoldsAreDeterministicFromTheSeed() throws {
        let patients = patients()
        let first = try PatientFolds(patients: patients, count: 4, seed: 3)
        XCTAssertEqual(first, try PatientFolds(patients: patients, count: 4, seed: 3))
        // The same images given in another order (a dictionary rebuilt from shuffled pairs).
        var pairs = Array(patients)
        var generator = SplitMix64(seed: 99)
        generator.shuffle(&pairs)
        XCTAssertEqual(first, try PatientFolds(patients: Dictionary(uniqueKeysWithValues: pairs), count: 4, seed: 3))
        XCTAssertNotEqual(first.folds, try PatientFolds(patients: patients, count: 4, seed: 4).folds)
    }

    func testTooFewPatientsOrFoldsAreErrors() {
        XCTAssertThrowsError(try PatientFolds(patients: [1: "a", 2: "a", 3: "b"], count: 3, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("3 folds need at least 3 patients"), "\(error)")
        }
        XCTAssertThrowsError(try PatientFolds(patients: [1: "a", 2: "b"], count: 1, seed: 1))
    }
}
