import Random
import XCTest
@testable import Imaging

final class PreprocessingTests: XCTestCase {
    func testEvaluationEqualsResizeCropNormalizeByDefinition() {
        let image = ReferenceKernels.randomImage(width: 120, height: 100, seed: 7)
        let preprocessing = Preprocessing(outputSize: 28, resizeSize: 32, normalization: .imageNet)
        let output = preprocessing(image)
        XCTAssertEqual(output.channels, 3)
        XCTAssertEqual(output.pixels.count, preprocessing.valuesPerImage)
        // Shorter side 100 -> 32, so 120 -> 38 (rounded); crop 28 at ((38-28)/2, (32-28)/2) = (5, 2).
        let resized = ReferenceKernels.areaResize(image, width: 38, height: 32)
        var cropped: [Double] = []
        for y in 2..<30 { for x in 5..<33 { cropped.append(resized[y * 38 + x]) } }
        let expected = ReferenceKernels.normalize(cropped, means: [0.485, 0.456, 0.406],
                                                  standardDeviations: [0.229, 0.224, 0.225])
        let worst = zip(output.pixels, expected).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4)
    }

    func testSingleChannelNormalization() {
        let image = GrayscaleImage(width: 4, height: 4, pixels: (0..<16).map { UInt8($0 * 17) })
        let preprocessing = Preprocessing(outputSize: 4, resizeSize: nil,
                                          normalization: .singleChannel(mean: 0.5, standardDeviation: 0.25))
        let output = preprocessing(image)
        XCTAssertEqual(output.channels, 1)
        for i in 0..<16 { XCTAssertEqual(output.pixels[i], (Float(i * 17) / 255 - 0.5) / 0.25, accuracy: 1e-5) }
    }

    /// A full-image crop without rotation, flip or intensity change samples the area-reduced
    /// grid at its pixel centres, so it must equal the evaluation resize.
    func testNeutralAugmentationEqualsEvaluation() {
        let image = ReferenceKernels.randomImage(width: 90, height: 90, seed: 8)
        let neutral = Augmentation(scale: 1...1, aspectRatio: 1...1, maximumRotationDegrees: 0, brightness: 0, contrast: 0)
        let evaluation = Preprocessing(outputSize: 20, resizeSize: nil, normalization: .singleChannel(mean: 0, standardDeviation: 1))
        var training = evaluation
        training.augmentation = neutral
        var generator = SplitMix64(seed: 1)
        let augmented = training(image, generator: &generator)
        let plain = evaluation(image)
        let worst = zip(augmented.pixels, plain.pixels).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4)
    }

    func testSameSeedSameResultOtherSeedOtherResult() {
        let image = ReferenceKernels.randomImage(width: 64, height: 64, seed: 9)
        let preprocessing = Preprocessing(outputSize: 24, resizeSize: 28, augmentation: Augmentation())
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
        let first = preprocessing(image, generator: &a)
        XCTAssertEqual(first, preprocessing(image, generator: &b))
        XCTAssertNotEqual(first, preprocessing(image, generator: &c))
        // Each call advances the generator: the next image gets a new draw.
        XCTAssertNotEqual(first, preprocessing(image, generator: &a))
    }

    func testFlipMirrorsExactlyAndIsOffByDefault() {
        let image = ReferenceKernels.randomImage(width: 40, height: 30, seed: 10)
        var draw = Augmentation.Draw(cropX: 3, cropY: 2, cropWidth: 30, cropHeight: 24, angle: 0.05, flip: false,
                                     brightnessFactor: 1, contrastFactor: 1)
        let straight = Warp.cropRotate(image, draw: draw, outputSize: 16)
        draw.flip = true
        let mirrored = Warp.cropRotate(image, draw: draw, outputSize: 16)
        for y in 0..<16 { for x in 0..<16 { XCTAssertEqual(mirrored[y * 16 + x], straight[y * 16 + 15 - x], accuracy: 1e-3) } }
        XCTAssertNotEqual(straight, mirrored)
        var generator = SplitMix64(seed: 5)
        for _ in 0..<50 { XCTAssertFalse(Augmentation().draw(width: 40, height: 30, generator: &generator).flip) }
        var flips = 0
        for _ in 0..<50 where Augmentation(horizontalFlip: true).draw(width: 40, height: 30, generator: &generator).flip { flips += 1 }
        XCTAssertTrue((10...40).contains(flips), "\(flips) flips in 50")
    }

    func testQuarterTurnRotatesThePixels() {
        let image = ReferenceKernels.randomImage(width: 8, height: 8, seed: 11)
        let draw = Augmentation.Draw(cropX: 0, cropY: 0, cropWidth: 8, cropHeight: 8, angle: .pi / 2, flip: false,
                                     brightnessFactor: 1, contrastFactor: 1)
        let rotated = Warp.cropRotate(image, draw: draw, outputSize: 8)
        // Output (u, v) samples source (centre + R·p): with angle π/2, source x = 7 − v, y = u.
        for v in 0..<8 { for u in 0..<8 { XCTAssertEqual(rotated[v * 8 + u], Float(image[7 - v, u]), accuracy: 1e-3) } }
    }

    func testDrawsStayInsideTheImageAndInRange() {
        var generator = SplitMix64(seed: 12)
        let augmentation = Augmentation(scale: 0.5...1, maximumRotationDegrees: 10, brightness: 0.2, contrast: 0.3)
        for _ in 0..<200 {
            let d = augmentation.draw(width: 100, height: 80, generator: &generator)
            XCTAssertGreaterThanOrEqual(d.cropX, 0)
            XCTAssertGreaterThanOrEqual(d.cropY, 0)
            XCTAssertLessThanOrEqual(d.cropX + d.cropWidth, 100.001)
            XCTAssertLessThanOrEqual(d.cropY + d.cropHeight, 80.001)
            XCTAssertLessThanOrEqual(abs(d.angle), 10 * .pi / 180 + 1e-6)
            XCTAssertTrue((0.8...1.2).contains(d.brightnessFactor))
            XCTAssertTrue((0.7...1.3).contains(d.contrastFactor))
        }
    }

    func testBrightnessAndContrastFormula() {
        var values: [Float] = [0, 100, 200, 260]
        Warp.adjustBrightnessContrast(&values, brightness: 1.1, contrast: 0.5)
        let mean: Float = 140
        let expected = [0, 100, 200, 260].map { v -> Float in min(max(((Float(v) - mean) * 0.5 + mean) * 1.1, 0), 255) }
        for (a, b) in zip(values, expected) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testSplitMix64IsStable() {
        // SplitMix64's published first outputs for seed 0 (Vigna's reference implementation).
        var generator = SplitMix64(seed: 0)
        XCTAssertEqual(generator.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(generator.next(), 0x6E78_9E6A_A1B9_65F4)
    }
}
