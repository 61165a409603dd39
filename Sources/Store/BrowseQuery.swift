import GRDB

/// The SQL of one list request: a count and a page, each driven from the smallest indexed list
/// that the filter names, so that neither probes every image of a full release.
///
/// The driver is the table whose index lists the matching images in id order: a finding's
/// labels (`labels_by_class`: class, source, value, model, then image id), else a split part
/// (`splits_by_part`, whose rows end in the image id), else the images. A page sorted by
/// probability is driven instead, when many images match, from the model's predictions of the
/// class in probability order (`predictions_by_probability`), so it stops after its rows; its
/// count still walks the label or split list. Every other condition tests the driver's image id against a unique
/// index (`labels_of_images`, the splits' key) or a short list (boxes, a patient's images). A
/// page picks its keys (and probabilities) first and joins the images and patients of those only.
struct BrowseQuery {
    /// A piece of SQL and its arguments, in order.
    struct Fragment {
        var sql: String
        var arguments: [(any DatabaseValueConvertible)?]
    }

    var filter: ImageBrowseFilter
    /// The label source as stored (`nih`, `labeller`, `human`, `model`) and its model id.
    let source: String
    let sourceModel: Int64?

    enum Driver { case labels, split, predictions, images }

    /// The count of matching images.
    var count: Fragment {
        guard filter.hasBoxes == false else { return statement(select: "count(*)", driver: countDriver, page: false) }
        // Without boxes = all minus those with: two index walks, where NOT IN would probe the
        // box list for every row of the driver (over 3× slower on the official train_val part).
        var all = self, boxed = self
        all.filter.hasBoxes = nil
        boxed.filter.hasBoxes = true
        let allCount = all.statement(select: "count(*)", driver: countDriver, page: false)
        let boxedCount = boxed.statement(select: "count(*)", driver: countDriver, page: false)
        return Fragment(sql: "SELECT (\(allCount.sql)) - (\(boxedCount.sql))", arguments: allCount.arguments + boxedCount.arguments)
    }

    /// The page's rows: id, name, patient, view, age, sex, follow-up, has a file, probability.
    /// - Parameter total: the count; when few images match, a sorted page sorts them (cheap)
    ///   rather than walking the model's predictions in probability order for its rows, which
    ///   visits most predictions when few of them match (a rare finding, the human labels).
    func page(total: Int) -> Fragment {
        let sortsFromPredictions = filter.sortByProbability && total >= sortedWalkMinimum
        return statement(select: """
            i.id, i.name, p.identifier, i.view, i.age, i.sex, i.follow_up, i.path IS NOT NULL, \
            k.probability
            """, driver: sortsFromPredictions ? .predictions : countDriver, page: true)
    }

    /// Below this many matches a sorted page is sorted in memory.
    var sortedWalkMinimum = 5000

    private var countDriver: Driver {
        filter.finding != nil ? .labels : (filter.split != nil ? .split : .images)
    }

    private var showsProbability: Bool { filter.modelID != nil && filter.finding != nil }

    private func statement(select: String, driver: Driver, page: Bool) -> Fragment {
        var from: [Fragment] = []
        var conditions: [Fragment] = []
        let key: String
        switch driver {
        case .labels: key = "l.image_id"
        case .split: key = "s.image_id"
        case .predictions: key = "pr.image_id"
        case .images: key = "i.id"
        }
        func labelCondition(_ table: String) -> String {
            "\(table)class = ? AND \(table)source = ? AND \(table)value = 1 AND ifnull(\(table)model_id, 0) = ?"
        }
        let labelArguments: [(any DatabaseValueConvertible)?] = [filter.finding, source, sourceModel ?? 0]
        switch driver {
        case .labels:
            from.append(Fragment(sql: "labels l", arguments: []))
            conditions.append(Fragment(sql: "l.image_id IS NOT NULL AND " + labelCondition("l."), arguments: labelArguments))
        case .split:
            from.append(Fragment(sql: "splits s", arguments: []))
            conditions.append(Fragment(sql: "s.name = ? AND s.part = ?", arguments: [filter.split, filter.part]))
        case .predictions:
            from.append(Fragment(sql: "predictions pr", arguments: []))
            conditions.append(Fragment(sql: "pr.model_id = ? AND pr.class = ?", arguments: [filter.modelID, filter.finding]))
        case .images:
            from.append(Fragment(sql: "images i", arguments: []))
        }
        if driver != .labels, filter.finding != nil {
            conditions.append(Fragment(sql: "EXISTS (SELECT 1 FROM labels WHERE image_id = \(key) AND \(labelCondition("")))",
                                       arguments: labelArguments))
        }
        if driver != .split, let split = filter.split, let part = filter.part {
            conditions.append(Fragment(sql: "EXISTS (SELECT 1 FROM splits WHERE image_id = \(key) AND name = ? AND part = ?)",
                                       arguments: [split, part]))
        }
        // The probability: a condition or the sort needs a prediction; otherwise only the page
        // shows it, and images without one stay (LEFT JOIN), so the count needs no join.
        let needsPrediction = filter.minimumProbability != nil || filter.sortByProbability
        if driver != .predictions, showsProbability, needsPrediction || page {
            from.append(Fragment(sql: "\(needsPrediction ? "JOIN" : "LEFT JOIN") predictions pr ON pr.model_id = ? AND pr.class = ? AND pr.image_id = \(key)",
                                 arguments: [filter.modelID, filter.finding]))
        }
        if let minimum = filter.minimumProbability {
            conditions.append(Fragment(sql: "pr.probability >= ?", arguments: [minimum]))
        }
        if let hasBoxes = filter.hasBoxes {
            conditions.append(Fragment(sql: "\(key) \(hasBoxes ? "" : "NOT ")IN (SELECT image_id FROM boxes WHERE source IN ('nih', 'human'))",
                                       arguments: []))
        }
        if let patient = filter.patient {
            conditions.append(Fragment(sql: "\(key) IN (SELECT id FROM images WHERE patient_id = (SELECT id FROM patients WHERE identifier = ?))",
                                       arguments: [patient]))
        }
        let selected = page ? "\(key) AS id, \(showsProbability ? "pr.probability" : "NULL") AS probability" : select
        var sql = "SELECT \(selected) FROM " + from.map(\.sql).joined(separator: " ")
        var arguments = from.flatMap(\.arguments)
        if !conditions.isEmpty {
            sql += " WHERE " + conditions.map(\.sql).joined(separator: " AND ")
            arguments += conditions.flatMap(\.arguments)
        }
        if page {
            sql += " ORDER BY " + (filter.sortByProbability ? "pr.probability DESC, \(key)" : key) + " LIMIT ? OFFSET ?"
            arguments += [filter.pageSize, filter.page * filter.pageSize]
            // The page's keys first, then only their images and patients (a deferred join), so
            // an offset skips index entries rather than joined rows.
            sql = "SELECT \(select) FROM (\(sql)) k JOIN images i ON i.id = k.id JOIN patients p ON p.id = i.patient_id ORDER BY "
                + (filter.sortByProbability ? "k.probability DESC, k.id" : "k.id")
        }
        return Fragment(sql: sql, arguments: arguments)
    }
}
