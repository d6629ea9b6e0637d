"""The CUDA target: `emitter` prints GPU-level IR as CUDA C++; `build` compiles it for the CPU
emulation of the CUDA execution model (`tessera_cuda_emu.h`, g++), into cubins with ptxas's
resource report (nvcc), or into a library for a real GPU; `runner` calls a host launcher on
NumPy arrays under the emulation (in-process, or under ASan/UBSan in a child process) or on a
GPU through CuPy.
"""
