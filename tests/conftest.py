"""Suite-wide settings: compilation in tests must not depend on the machine's tuning runs."""

import os

# The default tuning database (~/.cache/tessera/tuning.db) would otherwise change the
# schedules every test compiles with, once someone has tuned on this machine. Tests of the
# lookup set their own database.
os.environ["TESSERA_TUNING_DB"] = "none"
