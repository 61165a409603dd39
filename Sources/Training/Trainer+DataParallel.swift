import Distributed
import Evaluation
import Foundation
import Loader
import Models
import NN

/// A trainer's part in a data-parallel job: the gradient reducer (its buckets on a communicator
/// of their own) and the step's blocking reductions on the job's communicator, in the same
/// order on every rank: each micro-batch's global counts, the synchronized batch norms' sums,
/// the loss; rank 0's model at the start and at each epoch's end; the validation rows.
final class DataParallel {
    let communicator: Communicator
    let reducer: GradientReducer

    /// Collective: duplicates the communicator for the buckets and plans them.
    init(communicator: Communicator, network: Module) throws {
        self.communicator = communicator
        reducer = try GradientReducer(parameters: network.namedParameters().map(\.parameter),
                                      communicator: communicator.duplicate())
    }

    /// Copies rank 0's parameters and buffers (batch-norm running statistics) to every rank,
    /// in one broadcast: the ranks start from the same model, as DDP's, and after each epoch
    /// agree again on the statistics that per-rank batch norm kept apart (rank 0's, which it
    /// also saves).
    func broadcastModel(_ network: Module) throws {
        let tensors = network.namedParameters().map(\.parameter.value) + network.namedBuffers().map(\.tensor)
        var values: [Float] = []
        values.reserveCapacity(tensors.reduce(0) { $0 + $1.count })
        for tensor in tensors { values += try tensor.toArray() }
        try communicator.broadcast(&values, root: 0)
        var offset = 0
        for tensor in tensors {
            try tensor.copy(from: Tensor(shape: tensor.shape, values: Array(values[offset ..< offset + tensor.count])))
            offset += tensor.count
        }
    }

    /// The global batch of which `batch` is this rank's share: its images and label counts
    /// summed over the ranks, and whether every rank can train on its share (`minimum` images
    /// each: two for per-rank batch norm, one when it is synchronized or frozen; and two in
    /// all). Every rank decides alike, so all skip a batch that broken images left too small.
    func globalBatch(_ batch: Batch, minimum: Int) throws -> GlobalBatch {
        let counts = Trainer.targets(batch.labels).counts
        var values = [Double(batch.count), Double(counts.positives), Double(counts.negatives), batch.count < minimum ? 1 : 0]
        try communicator.allreduceSum(&values)
        return GlobalBatch(images: Int(values[0]), counts: LabelCounts(positives: Int(values[1]), negatives: Int(values[2])),
                           isTrainable: values[3] == 0 && values[0] >= 2)
    }

    /// The global batch's loss: the sum of the ranks' shares of it.
    func sumLoss(_ value: Float) throws -> Float {
        var values = [Double(value)]
        try communicator.allreduceSum(&values)
        return Float(values[0])
    }
}

/// A global batch as every rank sees it.
struct GlobalBatch {
    var images: Int
    var counts: LabelCounts
    var isTrainable: Bool
}

/// One validation image's logits and labels, as a rank sends them to rank 0.
struct ValidationRow: Codable {
    var image: Int64
    var logits: [Float]
    var labels: [Float]
}

/// What rank 0's validation found, for the other ranks' records (the plateau schedule and the
/// best epoch read them). A loss that is not a number travels as nil (JSON has no NaN).
struct ValidationSummary: Codable {
    var loss: Double?
    var auc: [Double?]
}

extension Trainer {
    /// The global batch of `batch` (one process: the batch itself; its old rule, two images).
    func globalBatch(_ batch: Batch) throws -> GlobalBatch {
        guard let replica else {
            return GlobalBatch(images: batch.count, counts: Trainer.targets(batch.labels).counts, isTrainable: batch.count >= 2)
        }
        return try replica.globalBatch(batch, minimum: (options.batchNorm ?? .batch) == .batch ? 2 : 1)
    }

    /// Rank 0's validation of the rows every rank validated: they are gathered to rank 0, put
    /// back in the validation part's order and regrouped into its batches, so the loss per batch
    /// and the AUCs are those one process computes; every rank returns the loss and AUCs, the
    /// scores and labels only rank 0.
    func gatherValidation(_ rows: [ValidationRow], replica: DataParallel) throws
        -> (loss: Double, auc: [AUC], scores: [[Float]], labels: [[Float]]) {
        var summary = ValidationSummary(loss: nil, auc: [])
        var result: (loss: Double, auc: [AUC], scores: [[Float]], labels: [[Float]])?
        if let parts = try replica.communicator.gather(rows) {
            let position = Dictionary(uniqueKeysWithValues: validation.images.enumerated().map { ($0.element.id, $0.offset) })
            let ordered = parts.joined().sorted { position[$0.image, default: 0] < position[$1.image, default: 0] }
            var lossSum = 0.0, batches = 0
            let byBatch = Dictionary(grouping: ordered) { position[$0.image, default: 0] / options.batchSize }
            for batch in byBatch.keys.sorted() {
                let rows = byBatch[batch]!
                if let value = try? validationLoss(logits: rows.flatMap(\.logits), labels: rows.flatMap(\.labels)) {
                    lossSum += Double(value)
                    batches += 1
                }
            }
            let scores = ordered.map { $0.logits.map { sigmoid($0) } }
            let labels = ordered.map(\.labels)
            let auc = try areasUnderCurves(scores: scores, labels: labels)
            result = (batches > 0 ? lossSum / Double(batches) : .nan, auc, scores, labels)
            summary = ValidationSummary(loss: batches > 0 ? lossSum / Double(batches) : nil, auc: auc.map(\.value))
        }
        summary = try replica.communicator.broadcast(replica.communicator.rank == 0 ? summary : nil, root: 0)
        if let result { return result }
        // Only the areas travel; the other ranks read nothing else of an undefined AUC.
        return (summary.loss ?? .nan, summary.auc.map { $0.map(AUC.defined) ?? .undefined(.noImages) }, [], [])
    }

    /// The loss of one validation batch's logits (N·C, row-major) against its labels.
    func validationLoss(logits: [Float], labels: [Float]) throws -> Float {
        let targets = Trainer.targets(labels)
        switch options.loss {
        case .binaryCrossEntropy: return try BinaryCrossEntropyWithLogits()(logits: logits, targets: targets).value
        case .weightedCrossEntropy: return try WeightedCrossEntropy(reduction: .mean)(logits: logits, targets: targets).value
        }
    }
}
