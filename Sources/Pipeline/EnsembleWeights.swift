import Models
import NN

/// The members of an ensemble as one module, so that their weights are one safetensors file:
/// member k's tensors under `members.<k>.` (`members.0.transition.weight`, …).
final class EnsembleWeights: Module {
    let members: [WeaklySupervisedModel]
    var isTraining = false

    init(members: [WeaklySupervisedModel]) { self.members = members }

    var namedChildren: [(name: String, module: Module)] {
        members.enumerated().map { ("members.\($0.offset)", $0.element as Module) }
    }
}
