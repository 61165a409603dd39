/// The models the service serves, by name, and whether each is loaded. The service is ready
/// when it has at least one model and every model it has is loaded.
public actor ModelRepository {
    public enum State: Sendable {
        case loading
        case ready(any InferenceModel)
        case failed(String)
    }

    var states: [String: State] = [:]

    public init() {}

    /// Announces a model whose loading has begun; requests for it get 503 until
    /// `finishLoading` or `failLoading`.
    public func markLoading(_ name: String) {
        states[name] = .loading
    }

    /// Makes `model` available under its name.
    public func finishLoading(_ model: any InferenceModel) {
        states[model.name] = .ready(model)
    }

    /// Records that loading `name` failed: it stays unready, and requests get `reason`.
    public func failLoading(_ name: String, reason: String) {
        states[name] = .failed(reason)
    }

    /// Loads a model in the background: marked loading now, ready or failed when `load` ends.
    public func load(_ name: String, _ load: @escaping @Sendable () async throws -> any InferenceModel) {
        markLoading(name)
        Task {
            do {
                let model = try await load()
                self.finishLoading(model)
            } catch {
                self.failLoading(name, reason: "loading failed: \(error)")
            }
        }
    }

    public func state(of name: String) -> State? {
        states[name]
    }

    /// The names of the models, loaded or not, in name order.
    public var names: [String] {
        states.keys.sorted()
    }

    public var isReady: Bool {
        !states.isEmpty && states.values.allSatisfy { if case .ready = $0 { true } else { false } }
    }

    /// The loaded model `name` (at `version` when given). Throws 404 for an unknown model or
    /// version, 503 for one still loading or that failed to load.
    public func model(_ name: String, version: String?) throws(ServiceError) -> any InferenceModel {
        switch states[name] {
        case nil:
            throw .notFound("unknown model \"\(name)\"")
        case .loading:
            throw ServiceError(.serviceUnavailable, "model \"\(name)\" is not ready: it is still loading")
        case .failed(let reason):
            throw ServiceError(.serviceUnavailable, "model \"\(name)\" is not ready: \(reason)")
        case .ready(let model):
            if let version, version != model.version {
                throw .notFound("model \"\(name)\" has no version \"\(version)\" (it serves version \"\(model.version)\")")
            }
            return model
        }
    }
}
