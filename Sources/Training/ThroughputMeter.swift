/// Images per second of a training run, right from its first batch.
///
/// The run's first batch also builds the engine's primitives (as `thorax bench`'s warm-up
/// iterations do), so once a later batch is timed the rate leaves it out; until then — the
/// first batch's progress, or an epoch of one batch — the first batch's own rate is the only
/// measurement there is, and is reported rather than 0.
struct ThroughputMeter: Equatable, Sendable {
    private var warmUpImages = 0
    private var warmUpSeconds = 0.0
    private var images = 0
    private var seconds = 0.0
    private var warmedUp = false

    /// Whether the warm-up batch has been recorded.
    var isWarm: Bool { warmedUp }

    /// Records a batch of `images` that took `seconds`; the first batch recorded is the warm-up.
    mutating func record(images: Int, seconds: Double) {
        if warmedUp {
            self.images += images
            self.seconds += seconds
        } else {
            warmUpImages = images
            warmUpSeconds = seconds
            warmedUp = true
        }
    }

    /// Images per second: over the batches after the warm-up once there is one, else over the
    /// warm-up batch; 0 before any batch (or when no time was measured).
    var imagesPerSecond: Double {
        if images > 0 { return Double(images) / max(seconds, 1e-9) }
        return warmUpImages > 0 ? Double(warmUpImages) / max(warmUpSeconds, 1e-9) : 0
    }
}
