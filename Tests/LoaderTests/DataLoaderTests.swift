import Foundation
import Imaging
import Store
import TestSupport
import XCTest
@testable import Loader

final class DataLoaderTests: XCTestCase {
    private var directory: URL!
    private var database: ThoraxDatabase!

    /// The committed NIH excerpt, with a generated 64 x 48 PNG for every image of the official
    /// `test` part except 00000865_004.png (no file) and 00000468_033.png (truncated).
    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("thorax-loader")
        let fixture = SharedData.repositoryRoot.appendingPathComponent("Tests/StoreTests/Fixtures/nih-small")
        let release = try NIHRelease.read(
            dataEntry: fixture.appendingPathComponent("Data_Entry.csv"),
            boxes: fixture.appendingPathComponent("BBox_List.csv"),
            trainValidationList: fixture.appendingPathComponent("train_val_list.txt"),
            testList: fixture.appendingPathComponent("test_list.txt"))
        for (number, name) in release.test.enumerated() where name != "00000865_004.png" {
            let file = directory.appendingPathComponent(name)
            var pixels = [UInt8](repeating: 0, count: 64 * 48)
            for y in 0..<48 { for x in 0..<64 { pixels[y * 64 + x] = UInt8((number * 13 + x * 3 + y * 2) % 256) } }
            let png = try PNGCodec.encode(GrayscaleImage(width: 64, height: 48, pixels: pixels))
            // The broken one keeps a valid header (so the import records it) and loses its data.
            try (name == "00000468_033.png" ? png.prefix(40) : png).write(to: file)
        }
        database = try ThoraxDatabase()
        try database.importNIH(release, imagesDirectory: directory)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // @unchecked Sendable: `items` is read and written only with `lock` held.
    private final class Warnings: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [LoaderWarning] = []
        func add(_ warning: LoaderWarning) { lock.lock(); items.append(warning); lock.unlock() }
        var all: [LoaderWarning] { lock.lock(); defer { lock.unlock() }; return items }
    }

    private func loader(threads: Int, seed: UInt64 = 5, augment: Bool = true, shuffle: Bool = true,
                        batchSize: Int = 4, warnings: Warnings = Warnings(),
                        share: (@Sendable (Int) -> [Int])? = nil) throws -> DataLoader {
        var preprocessing = Preprocessing(outputSize: 32, resizeSize: 40, normalization: .imageNet)
        if augment { preprocessing.augmentation = Augmentation() }
        return try DataLoader(
            database: database, split: "official", part: "test",
            configuration: LoaderConfiguration(batchSize: batchSize, preprocessing: preprocessing, seed: seed,
                                               shuffle: shuffle, threads: threads, prefetchBatches: 2, share: share),
            warning: { warnings.add($0) })
    }

    private struct Comparable: Equatable {
        var images: [Float], labels: [Float], ids: [Int64], index: Int
        init(_ batch: Batch) { images = batch.images; labels = batch.labels; ids = batch.imageIDs; index = batch.index }
    }

    private func epoch(_ loader: DataLoader, _ epoch: Int, from first: Int = 0) -> [Comparable] {
        loader.batches(epoch: epoch, startingAt: first).map(Comparable.init)
    }

    func testSameSeedGivesSameBatchesWhateverTheThreads() throws {
        let one = try loader(threads: 1), three = try loader(threads: 3)
        for epochNumber in 0..<2 {
            XCTAssertEqual(epoch(one, epochNumber), epoch(three, epochNumber), "epoch \(epochNumber)")
        }
        XCTAssertNotEqual(epoch(one, 0).map(\.ids), epoch(one, 1).map(\.ids), "each epoch has its own order")
        XCTAssertNotEqual(epoch(one, 0).map(\.ids), epoch(try loader(threads: 2, seed: 6), 0).map(\.ids))
    }

    func testResumingAtABatchGivesTheRemainingBatches() throws {
        let loader = try loader(threads: 2)
        XCTAssertEqual(epoch(loader, 3, from: 2), Array(epoch(loader, 3).dropFirst(2)))
        XCTAssertEqual(epoch(loader, 3, from: 99), [])
    }

    /// Without augmentation or shuffle, batch values equal Imaging's preprocessing of each file
    /// applied directly, and labels are the Data_Entry classes.
    func testBatchesHoldPreprocessedImagesAndLabels() throws {
        let loader = try loader(threads: 2, augment: false, shuffle: false)
        let batches = loader.batches(epoch: 0).map { $0 }
        XCTAssertEqual(batches.map(\.count), [4, 3, 4, 4, 1], "16 readable images; the broken one leaves batch 1 short")
        let preprocessing = Preprocessing(outputSize: 32, resizeSize: 40, normalization: .imageNet)
        for batch in batches {
            XCTAssertEqual(batch.images.count, batch.count * 3 * 32 * 32)
            XCTAssertEqual(batch.labels.count, batch.count * 14)
            for (offset, name) in batch.names.enumerated() {
                let expected = preprocessing(try ImageDecoder.decode(contentsOf: directory.appendingPathComponent(name)))
                XCTAssertEqual(Array(batch.images[(offset * 3072)..<((offset + 1) * 3072)]), expected.pixels, name)
            }
        }
        let all = batches.flatMap { batch in batch.names.indices.map { (batch.names[$0], Array(batch.labels[($0 * 14)..<(($0 + 1) * 14)])) } }
        XCTAssertEqual(all.map(\.0), all.map(\.0).sorted(), "name order without shuffle")
        // 00000468_017.png: Atelectasis|Pneumothorax; 00000865_005.png: No Finding.
        let atelectasisPneumothorax: [Float] = [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(all.first { $0.0 == "00000468_017.png" }?.1, atelectasisPneumothorax)
        XCTAssertEqual(all.first { $0.0 == "00000865_005.png" }?.1, [Float](repeating: 0, count: 14))
    }

    func testMissingAndBrokenImagesAreSkippedWithOneWarningEach() throws {
        let warnings = Warnings()
        let loader = try loader(threads: 2, warnings: warnings)
        XCTAssertEqual(loader.images.count, 17)
        XCTAssertEqual(warnings.all, [.missing(name: "00000865_004.png", path: nil)], "reported when the loader is made")
        for epochNumber in 0..<3 {
            XCTAssertEqual(epoch(loader, epochNumber).reduce(0) { $0 + $1.ids.count }, 16)
        }
        XCTAssertEqual(warnings.all.count, 2)
        guard case let .unreadable(name, reason) = warnings.all[1] else { return XCTFail("\(warnings.all)") }
        XCTAssertEqual(name, "00000468_033.png")
        XCTAssertTrue(reason.contains("00000468_033.png"), reason)
        XCTAssertEqual(loader.skippedCount, 2)
    }

    /// Three strided shares of every batch of 4 (as three ranks take them: positions r, r + 3):
    /// each share holds exactly its positions of the batch one loader makes, with the same
    /// augmented pixels and labels; every share yields every batch, also the last batch's empty
    /// shares and the share the broken image leaves empty, so that the ranks stay in step.
    func testStridedSharesMakeUpEachBatch() throws {
        let whole = try loader(threads: 2)
        let shares = try (0 ..< 3).map { rank in
            try loader(threads: 1 + rank % 2, share: { Array(stride(from: rank, to: $0, by: 3)) })
        }
        let broken = whole.images.first { $0.name == "00000468_033.png" }!.id
        var emptyShares = 0
        for epochNumber in 0 ..< 2 {
            let order = whole.order(epoch: epochNumber)
            let batches = epoch(whole, epochNumber)
            var pixels: [Int64: [Float]] = [:], labels: [Int64: [Float]] = [:]
            for batch in batches {
                for (offset, id) in batch.ids.enumerated() {
                    pixels[id] = Array(batch.images[offset * 3072 ..< (offset + 1) * 3072])
                    labels[id] = Array(batch.labels[offset * 14 ..< (offset + 1) * 14])
                }
            }
            for (rank, share) in shares.enumerated() {
                let shareBatches = epoch(share, epochNumber)
                XCTAssertEqual(shareBatches.map(\.index), Array(0 ..< 5), "epoch \(epochNumber), share \(rank): every batch")
                for batch in shareBatches {
                    let count = min(4, order.count - batch.index * 4)
                    let expected = stride(from: rank, to: count, by: 3).map { whole.images[order[batch.index * 4 + $0]].id }
                        .filter { $0 != broken }
                    XCTAssertEqual(batch.ids, expected, "epoch \(epochNumber), batch \(batch.index), share \(rank)")
                    if batch.ids.isEmpty { emptyShares += 1 }
                    for (offset, id) in batch.ids.enumerated() {
                        XCTAssertEqual(Array(batch.images[offset * 3072 ..< (offset + 1) * 3072]), pixels[id], "image \(id)")
                        XCTAssertEqual(Array(batch.labels[offset * 14 ..< (offset + 1) * 14]), labels[id], "labels of \(id)")
                    }
                }
            }
        }
        XCTAssertGreaterThanOrEqual(emptyShares, 4, "the last batch of one image leaves two shares empty in each epoch")
    }

    func testStoppingEarlyStopsTheWorkers() throws {
        let loader = try loader(threads: 3, batchSize: 1)
        for batch in loader.batches(epoch: 0) {
            XCTAssertEqual(batch.index, 0)
            break
        }
        // Reaching here means the dropped iterator's workers left (deinit waits for them).
        // 17 batches of one; the broken image's batch is empty and not yielded.
        XCTAssertEqual(epoch(loader, 0).count, 16)
    }

    func testLabelledImagesMarkUnknownAndNameMissingSplits() throws {
        let images = try database.labelledImages(split: "official", part: "train_val", source: "human")
        XCTAssertEqual(images.map(\.name), ["00000001_000.png", "00000001_001.png", "00000001_002.png", "00000002_000.png"])
        XCTAssertEqual(images[0].labels, [Float](repeating: -1, count: 14), "no human labels: unknown")
        XCTAssertThrowsError(try database.labelledImages(split: "official", part: "val")) { error in
            XCTAssertEqual("\(error)", "split 'official' has no part 'val' (it has test, train_val)")
        }
        XCTAssertThrowsError(try database.labelledImages(split: "mine", part: "train")) { error in
            XCTAssertEqual("\(error)", "no split named 'mine'")
        }
    }
}
