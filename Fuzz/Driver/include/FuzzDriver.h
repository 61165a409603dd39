// The libFuzzer entry every fuzz target's main.swift calls (see Fuzz/README.md).
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (LLVMFuzzerRunDriver, from the toolchain's libclang_rt.fuzzer) on
/// the target's LLVMFuzzerTestOneInput with the process's arguments.
int thorax_fuzz_main(int argc, char **argv);
