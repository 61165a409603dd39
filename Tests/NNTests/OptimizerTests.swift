import EngineTestSupport
import NN
import XCTest

/// The optimizers on real `Parameter`s: torch.optim trajectories, frozen parameters, gradient
/// accumulation through a layer.
final class OptimizerTests: XCTestCase {
    private func parameters(_ golden: OptimGoldenCase) throws -> [Parameter] {
        try zip(golden.shapes, golden.initial).map { try Parameter(shape: $0, values: $1) }
    }

    func testSGDAndAdamOnParametersFollowTorchOptim() throws {
        for golden in OptimGoldenValues.cases {
            let parameters = try parameters(golden)
            if golden.secondFrozen { parameters[1].isTrainable = false }
            let optimizer: Optimizer
            switch golden.optimizer {
            case "SGD":
                optimizer = SGD(parameters: parameters, learningRate: golden.learningRate, momentum: golden.momentum,
                                dampening: golden.dampening, nesterov: golden.nesterov, weightDecay: golden.weightDecay)
            case "Adam":
                optimizer = Adam(parameters: parameters, learningRate: golden.learningRate, beta1: golden.beta1,
                                 beta2: golden.beta2, epsilon: golden.epsilon, weightDecay: golden.weightDecay)
            default:
                optimizer = Adam.adamW(parameters: parameters, learningRate: golden.learningRate, beta1: golden.beta1,
                                       beta2: golden.beta2, epsilon: golden.epsilon, weightDecay: golden.weightDecay)
            }
            for (step, gradients) in golden.gradients.enumerated() {
                for (parameter, gradient) in zip(parameters, gradients) {
                    // A frozen parameter still receives a (garbage) gradient here: the optimizer must ignore it.
                    try parameter.gradient.withUnsafeMutableBufferPointer { buffer in
                        for i in buffer.indices { buffer[i] = gradient[i] }
                    }
                }
                try optimizer.step()
                for (index, parameter) in parameters.enumerated() {
                    assertClose(try doubles(parameter.value), golden.after[step][index].map(Double.init), tolerance: 2e-6,
                                "\(golden.name) step \(step + 1) tensor \(index)")
                }
            }
        }
    }

    func testGradientAccumulationEqualsTheFullBatch() throws {
        // Mean-over-batch loss L = (1/N) Σ_n Σ r_n · y_n through a convolution: one batch of 4,
        // or two micro-batches of 2 whose gradients are scaled by GradientAccumulation.lossScale.
        var random = TestRandom(5)
        let input = floats(random.values(4 * 2 * 5 * 5))
        let weights = floats(random.values(3 * 2 * 3 * 3))
        let upstream = floats(random.values(4 * 3 * 5 * 5))
        func convolution() throws -> Conv2d {
            let layer = try Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1)
            try layer.weight.setValues(weights)
            return layer
        }
        let full = try convolution()
        _ = try full.forward(Tensor(shape: [4, 2, 5, 5], values: input))
        _ = try full.backward(Tensor(shape: [4, 3, 5, 5], values: upstream.map { $0 / 4 }))

        let accumulated = try convolution()
        var accumulation = GradientAccumulation(microBatches: 2)
        var stepped = false
        for half in 0 ..< 2 {
            let slice = Array(input[(half * 100) ..< (half * 100 + 100)])
            let gradient = Array(upstream[(half * 150) ..< (half * 150 + 150)]).map { $0 / 2 * accumulation.lossScale }
            _ = try accumulated.forward(Tensor(shape: [2, 2, 5, 5], values: slice))
            _ = try accumulated.backward(Tensor(shape: [2, 3, 5, 5], values: gradient))
            stepped = accumulation.completeMicroBatch()
            XCTAssertEqual(stepped, half == 1)
        }
        assertClose(try doubles(accumulated.weight.gradient), try doubles(full.weight.gradient), tolerance: 1e-5, "weight gradient")
        assertClose(try doubles(accumulated.bias!.gradient), try doubles(full.bias!.gradient), tolerance: 1e-5, "bias gradient")
    }
}
