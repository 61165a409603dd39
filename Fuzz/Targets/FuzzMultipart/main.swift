// Hands the process to libFuzzer's driver, which calls LLVMFuzzerTestOneInput (the other
// file) with each input; see Fuzz/Driver/FuzzDriver.c for why not libFuzzer's own main().
import FuzzDriver
import Foundation

exit(thorax_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv))
