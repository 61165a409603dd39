import Foundation
import XCTest
@testable import Imaging

/// The committed fixtures of Tests/ImagingTests/Fixtures (made by scripts/make-imaging-fixtures.py).
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    /// The fixtures' generating patterns, written again here from the script's formulas.
    static func pattern8(_ seedX: Int, _ seedY: Int, width: Int = 23, height: Int = 17) -> [UInt8] {
        var values: [UInt8] = []
        for y in 0..<height { for x in 0..<width { values.append(UInt8((x * seedX + y * seedY) & 255)) } }
        return values
    }

    static func gray16(width: Int = 23, height: Int = 17) -> [UInt16] {
        var values: [UInt16] = []
        for y in 0..<height { for x in 0..<width { values.append(UInt16((x * 2311 + y * 4099) & 0xFFFF)) } }
        return values
    }
}

extension XCTestCase {
    /// A DICOM fixture's first-frame stored values.
    func stored(_ name: String) throws -> [Int32] {
        try DICOMFile(contentsOf: Fixture.url(name)).storedValues()
    }

    /// The samples of a reference PNG fixture (*.values.png, *.reference.png: 8 or 16 bits).
    func referenceValues(_ name: String) throws -> [Int32] {
        try PNGCodec.decodeSamples(Fixture.data(name), name: name).samples.map { Int32($0) }
    }
}

/// Asserts that `body` throws an `ImagingError` whose description contains every fragment.
func XCTAssertImagingError<T>(_ body: @autoclosure () throws -> T, contains fragments: [String],
                              file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an ImagingError containing \(fragments)", file: file, line: line)
    } catch let error as ImagingError {
        for fragment in fragments {
            XCTAssertTrue(error.description.contains(fragment), "\"\(error)\" lacks \"\(fragment)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected an ImagingError, got \(error)", file: file, line: line)
    }
}
