import XCTest
@testable import Imaging

final class ResamplingTests: XCTestCase {
    func fastResize(_ image: GrayscaleImage, _ width: Int, _ height: Int, _ method: ResizeMethod) -> [Float] {
        var output = [Float](repeating: 0, count: width * height)
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer {
                Resampler.resize(source: source, width: image.width, height: image.height, outputWidth: width,
                                 outputHeight: height, windowX: 0, windowY: 0, windowWidth: width,
                                 windowHeight: height, method: method, into: $0)
            }
        }
        return output
    }

    func assertClose(_ fast: [Float], _ reference: [Double], tolerance: Double = 1e-3,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(fast.count, reference.count, file: file, line: line)
        let worst = zip(fast, reference).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, file: file, line: line)
    }

    func testAreaMatchesTheReferenceAtNonIntegerScales() {
        let image = ReferenceKernels.randomImage(width: 37, height: 29, seed: 1)
        for (w, h) in [(10, 7), (16, 16), (36, 28), (1, 1), (5, 29)] {
            assertClose(fastResize(image, w, h, .area), ReferenceKernels.areaResize(image, width: w, height: h))
        }
    }

    func testAreaAtAnIntegerFactorIsTheBlockMean() {
        let image = ReferenceKernels.randomImage(width: 8, height: 8, seed: 2)
        let output = fastResize(image, 2, 2, .area)
        for by in 0..<2 {
            for bx in 0..<2 {
                var sum = 0
                for y in 0..<4 { for x in 0..<4 { sum += Int(image[bx * 4 + x, by * 4 + y]) } }
                XCTAssertEqual(Double(output[by * 2 + bx]), Double(sum) / 16, accuracy: 1e-4)
            }
        }
    }

    func testBilinearMatchesTheReferenceBothWays() {
        let image = ReferenceKernels.randomImage(width: 13, height: 11, seed: 3)
        for (w, h) in [(5, 4), (13, 11), (29, 31), (7, 20)] {
            assertClose(fastResize(image, w, h, .bilinear), ReferenceKernels.bilinearResize(image, width: w, height: h))
        }
    }

    func testAreaFallsBackToBilinearWhenEnlarging() {
        let image = ReferenceKernels.randomImage(width: 6, height: 5, seed: 4)
        assertClose(fastResize(image, 17, 12, .area), ReferenceKernels.bilinearResize(image, width: 17, height: 12))
    }

    func testWindowIsTheSameRegionOfTheFullResize() {
        let image = ReferenceKernels.randomImage(width: 50, height: 40, seed: 5)
        let full = fastResize(image, 30, 24, .area)
        var window = [Float](repeating: 0, count: 10 * 8)
        image.pixels.withUnsafeBufferPointer { source in
            window.withUnsafeMutableBufferPointer {
                Resampler.resize(source: source, width: 50, height: 40, outputWidth: 30, outputHeight: 24,
                                 windowX: 7, windowY: 9, windowWidth: 10, windowHeight: 8, method: .area, into: $0)
            }
        }
        for y in 0..<8 { for x in 0..<10 { XCTAssertEqual(window[y * 10 + x], full[(y + 9) * 30 + x + 7], accuracy: 1e-4) } }
    }

    func testGrayscaleResizedAndCentreCrop() {
        let image = ReferenceKernels.randomImage(width: 9, height: 7, seed: 6)
        let crop = image.centerCropped(width: 4, height: 3)
        XCTAssertEqual(crop.pixels, [2, 3, 4].flatMap { y in (2..<6).map { x in image[x, y] } })
        let resized = image.resized(width: 4, height: 3, method: .area)
        let reference = ReferenceKernels.areaResize(image, width: 4, height: 3)
        XCTAssertEqual(resized.pixels, reference.map { UInt8($0.rounded()) })
    }
}
