import Foundation
import Hummingbird
import Service
import Store

/// Query strings and path values of the viewer's requests, each wrong one a 400 naming it.
enum ViewerQuery {
    /// The list's filter from `split`, `part`, `finding`, `source`, `model`, `min`, `boxes`
    /// (`yes` | `no`), `patient`, `sort` (`probability`) and `page`; empty values are unset.
    static func filter(_ request: Request) throws -> ImageBrowseFilter {
        let query = request.uri.queryParameters
        func text(_ name: String) -> String? {
            guard let value = query.get(name), !value.isEmpty else { return nil }
            return value
        }
        var filter = ImageBrowseFilter()
        filter.split = text("split")
        filter.part = text("part")
        if filter.part != nil, filter.split == nil { filter.split = ThoraxDatabase.officialSplit }
        filter.finding = text("finding")
        filter.labelSource = text("source") ?? "nih"
        filter.modelID = try integer(text("model"), "model").map { Int64($0) }
        if let minimum = text("min") {
            guard let value = Double(minimum), (0...1).contains(value) else {
                throw ServiceError.badRequest("min=\(minimum) is not a probability from 0 to 1")
            }
            filter.minimumProbability = value
        }
        switch text("boxes") {
        case nil: break
        case "yes": filter.hasBoxes = true
        case "no": filter.hasBoxes = false
        case let other?: throw ServiceError.badRequest("boxes=\(other) is not yes or no")
        }
        filter.patient = text("patient")
        switch text("sort") {
        case nil, "id": break
        case "probability": filter.sortByProbability = true
        case let other?: throw ServiceError.badRequest("sort=\(other) is not id or probability")
        }
        filter.page = try integer(text("page"), "page") ?? 0
        return filter
    }

    /// The window `center` and `width` of a DICOM rendering (both or neither; width > 0).
    static func window(_ request: Request) throws -> DisplayWindow? {
        let query = request.uri.queryParameters
        let center = query.get("center").flatMap { $0.isEmpty ? nil : $0 }
        let width = query.get("width").flatMap { $0.isEmpty ? nil : $0 }
        guard center != nil || width != nil else { return nil }
        guard let center, let width, let c = Double(center), let w = Double(width), w > 0, c.isFinite, w.isFinite else {
            throw ServiceError.badRequest("a window needs center and width, numbers with width > 0 (got center=\(center ?? "none"), width=\(width ?? "none"))")
        }
        return DisplayWindow(center: c, width: w)
    }

    /// A non-negative integer query value; nil when absent.
    static func integer(_ value: String?, _ name: String) throws -> Int? {
        guard let value, !value.isEmpty else { return nil }
        guard let number = Int(value), number >= 0 else { throw ServiceError.badRequest("\(name)=\(value) is not a whole number ≥ 0") }
        return number
    }

    /// A database id in a path: 400 unless it is a positive number.
    static func identifier(_ value: String?, _ what: String) throws -> Int64 {
        guard let value, let id = Int64(value), id > 0 else {
            throw ServiceError.badRequest("\"\(value ?? "")\" is not a \(what) id (a positive number)")
        }
        return id
    }
}
