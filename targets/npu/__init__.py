"""The NPU target: a simulated systolic-array accelerator (configuration, programs,
assembly, the cycle-level simulator)."""
