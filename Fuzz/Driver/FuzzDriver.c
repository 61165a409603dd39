// SwiftPM links every executable with its main renamed to <Module>_main (so tests can link
// executables), which leaves no room for libFuzzer's own main(): each target's main.swift
// calls this instead, which hands the process to libFuzzer's driver as its main() would.
#include "FuzzDriver.h"

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int thorax_fuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
