"""Suite-wide settings: compilation must not depend on the machine's tuning runs, and every
kernel compiled must be warning-free."""

import os

# The default tuning database (~/.cache/tessera/tuning.db) would otherwise change the
# schedules every test compiles with, once someone has tuned on this machine. Tests of the
# lookup set their own database.
os.environ["TESSERA_TUNING_DB"] = "none"

# Every kernel the suite compiles must be free of warnings (targets/c/build.py appends these).
os.environ["TESSERA_CFLAGS"] = "-Wall -Wextra -Werror"

# Every CUDA source the suite builds is also compiled to sm_80 and sm_90 cubins (where nvcc
# is installed), and a kernel that spills registers fails (targets/cuda/backend.py).
os.environ["TESSERA_CUDA_CHECK_ARCHS"] = "sm_80,sm_90"
