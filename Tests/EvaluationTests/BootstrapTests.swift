import Random
import XCTest
@testable import Evaluation

final class BootstrapTests: XCTestCase {
    func testWeightedAUCMatchesScikitLearnWithSampleWeights() throws {
        let fixture = try ReferenceFixture.load()
        for reference in fixture.weightedAUC {
            let sorted = SortedScores(scores: reference.scores, labels: reference.labels)
            let auc = try XCTUnwrap(sorted.weightedAUC(weights: reference.weights), reference.name)
            XCTAssertEqual(auc, reference.auc, accuracy: 1e-12, reference.name)
        }
    }

    /// The fast path (one sort, weights per resample) against its plain twin: build the
    /// resampled arrays explicitly and compute the AUC from the ROC curve.
    func testWeightedAUCEqualsAUCOfTheExplicitResample() throws {
        let fixture = try ReferenceFixture.load()
        var generator = SplitMix64(seed: 7)
        for reference in fixture.auc where reference.auc != .undefined {
            let sorted = SortedScores(scores: reference.scores, labels: reference.labels)
            for _ in 0..<5 {
                var weights = [Int](repeating: 0, count: reference.scores.count)
                var resampledScores: [Double] = []
                var resampledLabels: [Bool] = []
                for _ in reference.scores.indices {
                    let index = generator.below(reference.scores.count)
                    weights[index] += 1
                    resampledScores.append(reference.scores[index])
                    resampledLabels.append(reference.labels[index])
                }
                let explicit = try AUC(scores: resampledScores, labels: resampledLabels)
                let fast = sorted.weightedAUC(weights: weights)
                if let expected = explicit.value {
                    XCTAssertEqual(try XCTUnwrap(fast, reference.name), expected, accuracy: 1e-12, reference.name)
                } else {
                    XCTAssertNil(fast, reference.name)
                }
            }
        }
    }

    func testPercentileMatchesNumpy() throws {
        let reference = try ReferenceFixture.load().percentile
        let sorted = reference.values.sorted()
        for (fraction, expected) in zip(reference.fractions, reference.percentiles) {
            XCTAssertEqual(Bootstrap.percentile(sorted: sorted, fraction: fraction), expected, accuracy: 1e-14)
        }
    }

    func testIntervalsAreReproducibleAndBracketTheEstimate() throws {
        let reference = try XCTUnwrap(try ReferenceFixture.load().auc.first { $0.name == "continuous" })
        let options = BootstrapOptions(resamples: 300, confidence: 0.95, seed: 42)
        let scores = [reference.scores, reference.scores.map { -$0 }]
        let labels = [reference.labels, reference.labels]
        let first = try Bootstrap.aucIntervals(scores: scores, labels: labels, options: options)
        let second = try Bootstrap.aucIntervals(scores: scores, labels: labels, options: options)
        XCTAssertEqual(first, second)
        let other = try Bootstrap.aucIntervals(scores: scores, labels: labels,
                                               options: BootstrapOptions(resamples: 300, seed: 43))
        XCTAssertNotEqual(first, other)

        let estimate = try XCTUnwrap(try AUC(scores: reference.scores, labels: reference.labels).value)
        let interval = try XCTUnwrap(first.classIntervals[0])
        XCTAssertLessThan(interval.lower, estimate)
        XCTAssertGreaterThan(interval.upper, estimate)
        XCTAssertEqual(interval.definedResamples, 300)
        // 200 images with 30% positives: the interval is a few hundredths wide, not zero, not 1.
        XCTAssertGreaterThan(interval.upper - interval.lower, 0.04)
        XCTAssertLessThan(interval.upper - interval.lower, 0.3)
        // Negated scores mirror the AUC, and the same resamples mirror the interval.
        let mirrored = try XCTUnwrap(first.classIntervals[1])
        XCTAssertEqual(mirrored.lower, 1 - interval.upper, accuracy: 1e-12)
        XCTAssertEqual(mirrored.upper, 1 - interval.lower, accuracy: 1e-12)
        // Mean of a and 1 − a is 1/2 in every resample.
        let mean = try XCTUnwrap(first.meanInterval)
        XCTAssertEqual(mean.lower, 0.5, accuracy: 1e-12)
        XCTAssertEqual(mean.upper, 0.5, accuracy: 1e-12)
    }

    func testUndefinedClassHasNoIntervalAndRareClassCountsOnlyDefinedResamples() throws {
        // Class 0: no positives. Class 1: one positive in 20 images, often missing from a resample.
        let scores = [(0..<20).map(Double.init), (0..<20).map { Double($0 % 7) }]
        let labels = [[Bool](repeating: false, count: 20), (0..<20).map { $0 == 13 }]
        let result = try Bootstrap.aucIntervals(scores: scores, labels: labels,
                                                options: BootstrapOptions(resamples: 200, seed: 1))
        XCTAssertNil(result.classIntervals[0])
        let rare = try XCTUnwrap(result.classIntervals[1])
        XCTAssertLessThan(rare.definedResamples, 200)
        XCTAssertGreaterThan(rare.definedResamples, 100)  // P(drawn) = 1 − 0.95^20 ≈ 0.64
        XCTAssertEqual(result.meanInterval?.definedResamples, rare.definedResamples)
    }

    func testProgressIsReportedForEveryResample() throws {
        var calls: [Int] = []
        _ = try Bootstrap.aucIntervals(scores: [[0.1, 0.9, 0.4]], labels: [[false, true, true]],
                                       options: BootstrapOptions(resamples: 5)) { done, total in
            XCTAssertEqual(total, 5)
            calls.append(done)
        }
        XCTAssertEqual(calls, [1, 2, 3, 4, 5])
    }

    func testInvalidOptionsAreRefused() {
        XCTAssertThrowsError(try Bootstrap.aucIntervals(scores: [[0.1]], labels: [[true]],
                                                        options: BootstrapOptions(resamples: 0)))
        XCTAssertThrowsError(try Bootstrap.aucIntervals(scores: [[0.1]], labels: [[true]],
                                                        options: BootstrapOptions(confidence: 1)))
        XCTAssertThrowsError(try Bootstrap.aucIntervals(scores: [[0.1, 0.2], [0.3]], labels: [[true, false], [true]]))
    }
}
