import Prometheus

/// The service's metrics in a Prometheus registry (swift-prometheus), served as text by
/// `GET /metrics`: requests by route and status, request latency, batch sizes, model execution
/// and queue wait. Routes are labelled by their template (`/v2/models/{name}/infer`), never by
/// the path a client sent, so no identifier from a request becomes a label.
public struct ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Latency buckets, in seconds: 1 ms to 10 s.
    static let latencyBuckets: [Duration] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        .map { Duration.microseconds(Int64($0 * 1e6)) }
    static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// One finished request: its route template, method and status, and how long it took.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let labels = [("method", method), ("route", route)]
        registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "thorax", metricName: "http_requests", unitName: "total",
            helpText: "HTTP requests by method, route template and status."),
            labels: labels + [("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: MetricNameDescriptor(
            namespace: "thorax", metricName: "http_request_duration", unitName: "seconds",
            helpText: "Time from a request's head to its response, by method and route template."),
            labels: labels, buckets: Self.latencyBuckets).record(duration)
    }

    /// One forward pass of `model`: its batch size, its duration and each image's wait in the queue.
    func recordBatch(model: String, _ record: BatchRecord) {
        let labels = [("model", model)]
        registry.makeValueHistogram(descriptor: MetricNameDescriptor(
            namespace: "thorax", metricName: "batch_size", unitName: "images",
            helpText: "Images per forward pass (dynamic batching)."),
            labels: labels, buckets: Self.batchSizeBuckets).record(Double(record.size))
        registry.makeDurationHistogram(descriptor: MetricNameDescriptor(
            namespace: "thorax", metricName: "model_execution", unitName: "seconds",
            helpText: "Duration of one forward pass of a batch."),
            labels: labels, buckets: Self.latencyBuckets).record(record.execution)
        let wait = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(
            namespace: "thorax", metricName: "queue_wait", unitName: "seconds",
            helpText: "Time an image waited for its batch to start."),
            labels: labels, buckets: Self.latencyBuckets)
        for duration in record.queueWaits { wait.record(duration) }
    }

    /// The number of predictions the image endpoint holds for their heatmap figures.
    func recordCachedPredictions(_ count: Int) {
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "thorax", metricName: "cached_predictions", unitName: "",
            helpText: "Predictions kept for their heatmap figures (GET /v1/predictions/{id}/heatmaps/{class}.png)."),
            labels: []).set(Double(count))
    }

    /// The registry in Prometheus's text exposition format.
    public func text() -> String {
        registry.emitToString()
    }
}
