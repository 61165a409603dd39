import Evaluation
import Foundation
import Loader
import Models
import NN
import Tensor

extension Trainer {
    /// Runs the remaining epochs (or until `options.iterations` optimizer steps). After each
    /// epoch's validation, `epochEnded` writes what the caller keeps (the best model, metrics);
    /// then the checkpoint is saved, so a resumed run never repeats a finished epoch.
    /// In a data-parallel job every rank runs this together (Trainer+DataParallel.swift); rank
    /// 0 alone calls `epochEnded` and saves the checkpoint, and the others' `progress` counts
    /// the same global batches.
    /// - Returns: the epochs' records (all of them, resumed ones included).
    /// - Throws: `TrainingError.nonFiniteLoss` naming the epoch, batch and images; `ImagingError`
    ///   naming an image that cannot be decoded; write errors naming the file; what
    ///   `epochEnded` throws; `DistributedError` (the ranks then disagree: end the job, as
    ///   `Communicator.abortingOnError` does).
    @discardableResult
    public func run(progress: (TrainingProgress) -> Void = { _ in },
                    epochEnded: (EpochOutcome) throws -> Void = { _ in }) throws -> [EpochRecord] {
        if let communicator, replica == nil {
            replica = try DataParallel(communicator: communicator, network: network)
            try replica?.broadcastModel(network)
        }
        var throughput = ThroughputMeter()
        var loaderWaitSeconds = 0.0
        while state.epoch < options.epochs {
            if let limit = options.iterations, state.steps >= limit { break }
            let epochStarted = Date()
            let schedule = schedule()
            optimizer.learningRate = schedule.learningRate
            network.setTraining(true)
            var pending = 0
            loaderWaitSeconds = 0
            // Dropped at the end of the epoch, which stops its prefetch thread.
            let batches = training.batches(epoch: state.epoch, startingAt: state.batch)
            var started = DispatchTime.now().uptimeNanoseconds
            while state.batch < batchesPerEpoch {
                if let limit = options.iterations, state.steps >= limit { break }
                let waitStarted = DispatchTime.now().uptimeNanoseconds
                guard let batch = batches.next() else { break }
                if throughput.isWarm { loaderWaitSeconds += Double(DispatchTime.now().uptimeNanoseconds - waitStarted) / 1e9 }
                state.batch = batch.index + 1
                // A batch shrunk below two images by unreadable files cannot be batch-normalized.
                let global = try globalBatch(batch)
                if global.isTrainable {
                    let completesStep = pending + 1 == options.accumulation || state.batch == batchesPerEpoch
                    try trainStep(on: batch, global: global, completesStep: completesStep)
                    pending += 1
                }
                if pending > 0 && (pending == options.accumulation || state.batch == batchesPerEpoch) {
                    try replica?.reducer.finishStep()
                    try optimizer.step()
                    network.zeroGradients()
                    pending = 0
                    state.steps += 1
                }
                let now = DispatchTime.now().uptimeNanoseconds
                // The run's first batch builds the primitives: the meter leaves it out of
                // images/s once a later batch is timed, and reports it until then.
                throughput.record(images: global.images, seconds: Double(now - started) / 1e9)
                started = now
                let rate = throughput.imagesPerSecond
                progress(TrainingProgress(phase: .training, epoch: state.epoch + 1, epochs: options.epochs, batch: state.batch,
                                          batches: batchesPerEpoch, loss: state.lossSum / Double(max(state.lossBatches, 1)),
                                          imagesPerSecond: rate, remainingSeconds: remainingSeconds(imagesPerSecond: rate)))
            }
            if state.batch < batchesPerEpoch {
                // Stopped by the iteration limit inside an epoch: save the position so a resumed run goes on from it.
                if rank == 0 { try saveCheckpoint() }
                break
            }
            let validated = try validate(progress: progress)
            let meanAUC = AUC.mean(validated.auc)
            let record = EpochRecord(epoch: state.epoch + 1, steps: state.steps, learningRate: Double(schedule.learningRate),
                                     trainLoss: state.lossSum / Double(max(state.lossBatches, 1)), validationLoss: validated.loss,
                                     validationAUC: validated.auc.map(\.value), meanAUC: meanAUC,
                                     imagesPerSecond: throughput.imagesPerSecond,
                                     seconds: Date().timeIntervalSince(epochStarted), loaderWaitSeconds: loaderWaitSeconds)
            state.history.append(record)
            state.epoch += 1
            state.batch = 0
            state.lossSum = 0
            state.lossBatches = 0
            let isBest = state.bestEpoch == nil || (meanAUC ?? -1) > (state.bestMeanAUC ?? -1)
            if isBest {
                state.bestEpoch = record.epoch
                state.bestMeanAUC = meanAUC
            }
            if rank == 0 {
                try epochEnded(EpochOutcome(record: record, history: state.history, isBest: isBest, bestEpoch: state.bestEpoch,
                                            validationScores: validated.scores, validationLabels: validated.labels))
                try saveCheckpoint()
            }
        }
        return state.history
    }

    /// Forward, loss and backward of one batch (in a data-parallel job, of this rank's share of
    /// the global batch `global`); the gradients add to those of the batches before it in this
    /// accumulation cycle. With `completesStep`, the gradients are summed over the ranks as
    /// backward finishes them.
    /// - Throws: `TrainingError.nonFiniteLoss` naming the batch's images when the loss is not finite.
    private func trainStep(on batch: Batch, global: GlobalBatch, completesStep: Bool) throws {
        // x: (N, C, H, W)
        let input = try Tensor(shape: [batch.count, batch.channels, batch.height, batch.width], values: batch.images)
        // Drop-connect masks drawn from the batch's number (and rank): a resumed run draws the same.
        let draw = (state.epoch * batchesPerEpoch + batch.index) * ranks + rank
        (network.backbone as? EfficientNetLite0)?.reseedDropConnect(draw: UInt64(draw))
        // logits: (N, C)
        let logits = try network.forward(input)
        let result: (value: Float, gradient: Tensor)
        do {
            // Ranks share the global batch's counts: their losses and gradients add up to its.
            result = try loss(logits: logits, labels: batch.labels, scale: 1 / Float(options.accumulation),
                              batchCounts: replica == nil ? nil : global.counts)
        } catch is LossError {
            throw TrainingError.nonFiniteLoss(epoch: state.epoch + 1, batch: state.batch, images: batch.names)
        }
        guard result.value.isFinite else {
            throw TrainingError.nonFiniteLoss(epoch: state.epoch + 1, batch: state.batch, images: batch.names)
        }
        if completesStep { replica?.reducer.beginFinalBackward() }
        _ = try network.backward(result.gradient)
        state.lossSum += Double(try replica?.sumLoss(result.value) ?? result.value)
        state.lossBatches += 1
    }

    /// Seconds left at `imagesPerSecond`, counting training images only.
    func remainingSeconds(imagesPerSecond: Double) -> Double? {
        guard imagesPerSecond > 0 else { return nil }
        var batchesLeft = (options.epochs - state.epoch) * batchesPerEpoch - state.batch
        if let limit = options.iterations {
            batchesLeft = min(batchesLeft, (limit - state.steps) * options.accumulation)
        }
        return Double(max(batchesLeft, 0) * options.batchSize) / imagesPerSecond
    }

    /// Targets from loader labels: 1/0, and −1 (uncertain or unknown) masked out.
    static func targets(_ labels: [Float]) -> MultiLabelTargets {
        guard labels.contains(where: { $0 < 0 }) else { return MultiLabelTargets(values: labels) }
        return MultiLabelTargets(values: labels.map { max($0, 0) }, mask: labels.map { $0 < 0 ? 0 : 1 })
    }

    /// The run's loss of `logits` (N, C) against the loader's `labels` (N·C, −1 masked), and its
    /// gradient (N, C) with respect to the logits times `scale`, on tensors; `batchCounts` are
    /// the label counts of the global batch these are a share of (nil: these labels').
    /// - Throws: `LossError` for a non-finite logit or loss.
    func loss(logits: Tensor, labels: [Float], scale: Float = 1,
              batchCounts: LabelCounts? = nil) throws -> (value: Float, gradient: Tensor) {
        let targets = Trainer.targets(labels)
        switch options.loss {
        case .binaryCrossEntropy:
            return try BinaryCrossEntropyWithLogits()(logits: logits, targets: targets, gradientScale: scale, batchCounts: batchCounts)
        case .weightedCrossEntropy:
            return try WeightedCrossEntropy(reduction: .mean)(logits: logits, targets: targets, gradientScale: scale,
                                                              batchCounts: batchCounts)
        }
    }

    /// The validation part in evaluation mode: mean loss, AUC per class, scores and labels. In a
    /// data-parallel job each rank validates its share of every batch, after taking rank 0's
    /// model, and rank 0 puts the rows together (`gatherValidation`).
    func validate(progress: (TrainingProgress) -> Void) throws -> (loss: Double, auc: [AUC], scores: [[Float]], labels: [[Float]]) {
        network.setTraining(false)
        defer { network.setTraining(true) }
        try replica?.broadcastModel(network)
        let classCount = network.classCount
        var scores: [[Float]] = []
        var labels: [[Float]] = []
        var rows: [ValidationRow] = []
        var lossSum = 0.0
        var batches = 0
        for batch in validation.batches(epoch: 0) where batch.count > 0 {
            // logits: (N, C)
            let logits = try network.forward(Tensor(shape: [batch.count, batch.channels, batch.height, batch.width],
                                                    values: batch.images))
            let values = try logits.toArray()
            if replica != nil {
                for row in 0 ..< batch.count {
                    rows.append(ValidationRow(image: batch.imageIDs[row], logits: Array(values[row * classCount ..< (row + 1) * classCount]),
                                              labels: Array(batch.labels[row * classCount ..< (row + 1) * classCount])))
                }
            } else {
                if let result = try? loss(logits: logits, labels: batch.labels) {
                    lossSum += Double(result.value)
                    batches += 1
                }
                for row in 0 ..< batch.count {
                    scores.append((0 ..< classCount).map { sigmoid(values[row * classCount + $0]) })
                    labels.append(Array(batch.labels[row * classCount ..< (row + 1) * classCount]))
                }
            }
            progress(TrainingProgress(phase: .validation, epoch: state.epoch + 1, epochs: options.epochs, batch: batch.index + 1,
                                      batches: validation.batchCount, loss: state.lossSum / Double(max(state.lossBatches, 1)),
                                      imagesPerSecond: 0, remainingSeconds: nil))
        }
        if let replica { return try gatherValidation(rows, replica: replica) }
        return (batches > 0 ? lossSum / Double(batches) : .nan, try areasUnderCurves(scores: scores, labels: labels), scores, labels)
    }

    /// AUC per class of validation `scores` against `labels` (one row per image).
    func areasUnderCurves(scores: [[Float]], labels: [[Float]]) throws -> [AUC] {
        try (0 ..< network.classCount).map { c -> AUC in
            // Uncertain or unknown labels (−1) take no part in the AUC.
            let kept = labels.indices.filter { labels[$0][c] >= 0 }
            return try AUC(scores: kept.map { Double(scores[$0][c]) }, labels: kept.map { labels[$0][c] == 1 })
        }
    }
}
