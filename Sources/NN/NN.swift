// The NN module: layers with forward and backward side by side, calling the Tensor module's
// kernels for the math. Every layer user also needs `Tensor`, so it is re-exported.
@_exported import Tensor
