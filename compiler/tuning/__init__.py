"""Auto-tuning: the tuning database (search spaces, strategies and measurement build on it)."""

from tessera.compiler.tuning.database import DamagedRow, Trial, TuningDatabase

__all__ = ["DamagedRow", "Trial", "TuningDatabase"]
