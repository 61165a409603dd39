// The NN module: layers with forward and backward side by side, on the Tensor module's oneDNN
// primitives. Every layer user also needs `Tensor`, so it is re-exported.
@_exported import Tensor
