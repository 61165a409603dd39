import Foundation
import GRDB
import TestSupport
import XCTest
@testable import Store

/// The viewer's queries: the filtered, paged image list, one image's detail, human labels.
final class BrowseTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("thorax-browse")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The 22-image fixture release (4 train_val, 18 test; boxes on 4 images).
    private func fixture() throws -> ThoraxDatabase {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        return database
    }

    private func names(_ database: ThoraxDatabase, _ edit: (inout ImageBrowseFilter) -> Void) throws -> [String] {
        var filter = ImageBrowseFilter()
        edit(&filter)
        return try database.browseImages(filter).images.map(\.name)
    }

    func testFiltersNarrowTheList() throws {
        let database = try fixture()
        let all = try database.browseImages(ImageBrowseFilter())
        XCTAssertEqual(all.total, 22)
        XCTAssertEqual(all.images.count, 22)
        XCTAssertEqual(all.images.first?.name, "00000001_000.png")
        XCTAssertEqual(all.images.first?.labels, ["Cardiomegaly"])
        XCTAssertEqual(all.images.first?.patient, "1")
        XCTAssertEqual(all.images.first?.view, "PA")

        XCTAssertEqual(try names(database) { $0.finding = "Atelectasis" },
                       ["00000468_017.png", "00000468_033.png", "00000865_003.png", "00000865_006.png",
                        "00000865_007.png", "00000865_009.png", "00000865_011.png"])
        XCTAssertEqual(try names(database) { $0.finding = "Atelectasis"; $0.hasBoxes = true },
                       ["00000468_017.png", "00000468_033.png", "00000865_006.png"])
        XCTAssertEqual(try names(database) { $0.hasBoxes = true }.count, 4)
        XCTAssertEqual(try names(database) { $0.hasBoxes = false }.count, 18)
        XCTAssertEqual(try names(database) { $0.patient = "3" }, ["00000003_001.png", "00000003_002.png", "00000003_003.png"])
        XCTAssertEqual(try names(database) { $0.split = "official"; $0.part = "train_val" }.count, 4)
        XCTAssertEqual(try names(database) { $0.split = "official"; $0.part = "test"; $0.finding = "Hernia" },
                       ["00000003_001.png", "00000003_002.png", "00000003_003.png"])
        // No human labels yet; the labeller labels no image of a release.
        XCTAssertEqual(try names(database) { $0.finding = "Hernia"; $0.labelSource = "human" }, [])
    }

    func testPagesOfTheList() throws {
        let database = try fixture()
        var filter = ImageBrowseFilter()
        filter.pageSize = 5
        filter.page = 4
        let page = try database.browseImages(filter)
        XCTAssertEqual(page.total, 22)
        // Import order is the release file's order.
        XCTAssertEqual(page.images.map(\.name), ["00000865_001.png", "00000865_002.png"])
        filter.page = 5
        XCTAssertEqual(try database.browseImages(filter).images, [])
    }

    /// A count without boxes is all minus those with: the same totals as the pages' rows.
    func testTotalsWithoutBoxesMatchTheirRows() throws {
        let database = try fixture()
        for edit in [{ (filter: inout ImageBrowseFilter) in filter.hasBoxes = false },
                     { $0.hasBoxes = false; $0.finding = "Atelectasis" },
                     { $0.hasBoxes = false; $0.split = "official"; $0.part = "test" },
                     { $0.hasBoxes = false; $0.patient = "865" }] as [(inout ImageBrowseFilter) -> Void] {
            var filter = ImageBrowseFilter()
            edit(&filter)
            filter.pageSize = 200
            let page = try database.browseImages(filter)
            XCTAssertEqual(page.total, page.images.count, "\(filter)")
            var withBoxes = filter
            withBoxes.hasBoxes = true
            var all = filter
            all.hasBoxes = nil
            XCTAssertEqual(page.total + (try database.browseImages(withBoxes).total), try database.browseImages(all).total, "\(filter)")
        }
        XCTAssertEqual(try database.browseImages({ var f = ImageBrowseFilter(); f.hasBoxes = false; return f }()).total, 18)
        XCTAssertEqual(try database.browseImages({ var f = ImageBrowseFilter(); f.hasBoxes = false; f.finding = "Atelectasis"; return f }()).total, 4)
    }

    func testSortAndFilterByAModelsProbability() throws {
        let database = try fixture()
        let model = directory.appendingPathComponent("m")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let card: [String: Any] = ["formatVersion": 1, "architecture": "resnet18", "classes": ["Atelectasis"],
                                   "thresholds": [0.5], "created": "2026-11-26T12:00:00Z", "thoraxVersion": "0.1.0"]
        try JSONSerialization.data(withJSONObject: card).write(to: model.appendingPathComponent("model.json"))
        try Data("w".utf8).write(to: model.appendingPathComponent("model.safetensors"))
        let record = try ModelRecord.read(directory: model)
        let ids = try database.images(forFiles: ["00000468_017.png", "00000865_003.png", "00000001_000.png"]).map { $0!.id }
        let stored = try database.storePredictions(zip(ids, [0.25, 0.875, 0.625] as [Float]).map {
            ImageProbabilities(imageID: $0.0, probabilities: [$0.1])
        }, of: record)
        let modelID = stored.model.id

        var filter = ImageBrowseFilter()
        filter.modelID = modelID
        filter.finding = "Atelectasis"
        filter.sortByProbability = true
        let sorted = try database.browseImages(filter)
        // Only NIH-positive images with a prediction, highest first.
        XCTAssertEqual(sorted.images.map(\.name), ["00000865_003.png", "00000468_017.png"])
        XCTAssertEqual(sorted.images.map(\.probability), [0.875, 0.25])
        // The page walked from the predictions in probability order (as for many matches) is
        // the page sorted in memory (as for few).
        for minimum in [nil, 0.5] as [Double?] {
            var walked = BrowseQuery(filter: filter, source: "nih", sourceModel: nil)
            walked.filter.minimumProbability = minimum
            walked.sortedWalkMinimum = 0
            var sorted = walked
            sorted.sortedWalkMinimum = 1000
            let rows = try database.queue.read { db in
                try [walked, sorted].map { query in
                    let page = query.page(total: 2)
                    return try Row.fetchAll(db, sql: page.sql, arguments: StatementArguments(page.arguments)).map { [$0[0], $0[8]] as [Double?] }
                }
            }
            XCTAssertTrue(walked.page(total: 2).sql.contains("FROM predictions pr"), walked.page(total: 2).sql)
            XCTAssertTrue(sorted.page(total: 2).sql.contains("FROM labels l"), sorted.page(total: 2).sql)
            XCTAssertEqual(rows[0], rows[1])
            XCTAssertEqual(rows[0].map { $0[1] }, minimum == nil ? [0.875, 0.25] : [0.875])
        }
        filter.minimumProbability = 0.5
        XCTAssertEqual(try database.browseImages(filter).images.map(\.name), ["00000865_003.png"])
        // The model's own labels as the source: present at its threshold 0.5.
        filter = ImageBrowseFilter()
        filter.finding = "Atelectasis"
        filter.labelSource = "model:\(modelID)"
        XCTAssertEqual(try database.browseImages(filter).images.map(\.name), ["00000001_000.png", "00000865_003.png"])
        // Without the sort, images without a prediction stay, with no probability.
        filter = ImageBrowseFilter()
        filter.modelID = modelID
        filter.finding = "Atelectasis"
        XCTAssertEqual(try database.browseImages(filter).images.map(\.probability),
                       [0.25, nil, 0.875, nil, nil, nil, nil])
    }

    func testBadFiltersAreRefusedByName() throws {
        let database = try fixture()
        let cases: [(String, (inout ImageBrowseFilter) -> Void)] = [
            ("unknown class 'Fracture'", { $0.finding = "Fracture" }),
            ("unknown label source 'radiologist'", { $0.labelSource = "radiologist" }),
            ("no model with id 9", { $0.labelSource = "model:9" }),
            ("a split and its part are given together", { $0.part = "test" }),
            ("a probability condition or sort needs a model and a finding", { $0.minimumProbability = 0.5 }),
            ("page size 500 is not 1 to 200", { $0.pageSize = 500 }),
            ("page -1 is negative", { $0.page = -1 }),
        ]
        for (message, edit) in cases {
            var filter = ImageBrowseFilter()
            edit(&filter)
            XCTAssertThrowsError(try database.browseImages(filter), message) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(error)")
            }
        }
    }

    func testImageDetailAndHumanLabels() throws {
        let database = try fixture()
        let id = try database.images(forFiles: ["00000468_033.png"])[0]!.id
        var detail = try XCTUnwrap(try database.imageDetail(id: id))
        XCTAssertEqual(detail.name, "00000468_033.png")
        XCTAssertEqual(detail.patient, "468")
        XCTAssertEqual(detail.followUp, 51)
        XCTAssertEqual(detail.originalWidth, 2662)
        XCTAssertEqual(detail.splits, [["official", "test"]])
        XCTAssertEqual(detail.labels, [StoredImageLabel(source: "nih", modelID: nil, className: "Atelectasis", value: 1, evidence: nil)])
        XCTAssertEqual(detail.boxes.map(\.className), ["Atelectasis"])
        XCTAssertEqual(detail.boxes.first?.x ?? 0, 204.474576271186, accuracy: 1e-9)
        XCTAssertEqual(detail.related.map(\.name), ["00000468_017.png", "00000468_041.png"])
        XCTAssertEqual(detail.reportIDs, [])
        XCTAssertNil(try database.imageDetail(id: 9999))

        try database.setHumanLabel(imageID: id, className: "Effusion", value: -1)
        try database.setHumanLabel(imageID: id, className: "Effusion", value: 1)
        detail = try XCTUnwrap(try database.imageDetail(id: id))
        XCTAssertEqual(detail.labels.filter { $0.source == "human" },
                       [StoredImageLabel(source: "human", modelID: nil, className: "Effusion", value: 1, evidence: nil)])
        XCTAssertEqual(try names(database) { $0.finding = "Effusion"; $0.labelSource = "human" }, ["00000468_033.png"])
        try database.setHumanLabel(imageID: id, className: "Effusion", value: nil)
        XCTAssertEqual(try database.imageDetail(id: id)?.labels.filter { $0.source == "human" }, [])

        XCTAssertThrowsError(try database.setHumanLabel(imageID: 9999, className: "Effusion", value: 1)) {
            XCTAssertEqual("\($0)", "no image with id 9999")
        }
        XCTAssertThrowsError(try database.setHumanLabel(imageID: id, className: "Effusion", value: 2)) {
            XCTAssertEqual("\($0)", "label value 2 is not 1 (positive), 0 (negative) or -1 (uncertain)")
        }
    }

    func testTheListUsesTheViewersIndexes() throws {
        let database = try fixture()
        let detail = try database.queue.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT image_id FROM labels WHERE class = 'Atelectasis' AND source = 'nih' AND value = 1
                AND image_id IS NOT NULL AND ifnull(model_id, 0) = 0
                """).map { $0["detail"] as String }.joined(separator: " | ")
        }
        XCTAssertTrue(detail.contains("labels_by_class"), detail)
        let sort = try database.queue.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT image_id FROM predictions WHERE model_id = 1 AND class = 'Atelectasis' ORDER BY probability DESC
                """).map { $0["detail"] as String }.joined(separator: " | ")
        }
        XCTAssertTrue(sort.contains("predictions_by_probability") && !sort.contains("TEMP B-TREE"), sort)
    }
}
