#ifndef WARDEN_FUZZ_DRIVER_H
#define WARDEN_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver with `test` as the target. SwiftPM links an executable with `main` aliased to
/// `<Module>_main`, which `-parse-as-library` never emits (swiftlang/swift#75800); so each harness keeps its
/// top-level code and hands the arguments to libFuzzer here.
int warden_fuzz_run(int argc, char **argv, int (*test)(const uint8_t *data, size_t size));

#endif
