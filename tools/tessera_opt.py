"""`tessera-opt`: the mlir-opt of Tessera.

Reads `.tsr` (the DSL) or `.mlir`, runs a pass pipeline (`-p`), and prints the result as MLIR
or through a target (`-t c`). Everything is xDSL's `xDSLOptMain`; this file only wires in
Tessera's dialects, passes, targets and the `.tsr` frontend, and turns user errors into
located diagnostics with exit code 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO

from xdsl.xdsl_opt_main import xDSLOptMain

from tessera.compiler import registry


class TesseraOptMain(xDSLOptMain):
    def __init__(self, args=None):
        super().__init__(description="Tessera modular optimizer driver", args=args)

    def register_all_dialects(self):
        # Our context registers xDSL's dialects and ours, all lazily.
        self.ctx = registry.make_context()

    def register_all_passes(self):
        for name, pass_factory in registry.all_passes().items():
            self.register_pass(name, pass_factory)

    def register_all_targets(self):
        super().register_all_targets()
        for name, path in registry.TARGETS.items():
            self.available_targets[name] = registry.factory(path)

    def register_all_frontends(self):
        super().register_all_frontends()
        self.available_frontends["tsr"] = self._read_tsr
        self.available_frontends["mlir"] = self._read_mlir

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser):
        super().register_all_arguments(arg_parser)
        arg_parser.add_argument(
            "--bind",
            action="append",
            default=[],
            metavar="NAME=SIZE",
            help="bind a symbolic dimension of a .tsr program (repeatable)",
        )
        arg_parser.add_argument(
            "--tuning-db",
            default=None,
            metavar="PATH",
            help="the tuning database the schedule pass looks schedules up in (default: "
            "$TESSERA_TUNING_DB, else ~/.cache/tessera/tuning.db when it exists; 'none': "
            "no lookup)",
        )
        arg_parser.add_argument(
            "--entry",
            default=None,
            help="compile only this .tsr function and the functions it calls",
        )

    def run(self):
        import os

        from tessera.compiler.diagnostics import TesseraError
        from tessera.compiler.tuning.api import OFF

        path = self.args.tuning_db
        if path is not None:
            if path.strip().lower() not in OFF and not os.path.exists(path):
                raise TesseraError(f"tuning database {path} does not exist")
            os.environ["TESSERA_TUNING_DB"] = path  # what the schedule pass reads
        return super().run()

    def _input_name(self) -> str:
        return self.args.input_file or "<stdin>"

    def _read_tsr(self, io: IO[bytes]):
        from tessera.compiler.frontend import parse_bindings, tsr_to_module

        # Blank lines stand in for the chunks before this one (--split-input-file), so the
        # reported line numbers are those of the file.
        text = "\n" * self._chunk_offset + io.read().decode("utf-8")
        return tsr_to_module(
            text, self._input_name(), parse_bindings(self.args.bind), entry=self.args.entry
        )

    def _read_mlir(self, io: IO[bytes]):
        from tessera.compiler.frontend.mlir_reader import parse_mlir

        text = "\n" * self._chunk_offset + io.read().decode("utf-8")
        return parse_mlir(self.ctx, text, self._input_name())

    _chunk_offset = 0

    def prepare_input(self):
        from tessera.compiler.diagnostics import TesseraError

        try:
            return super().prepare_input()
        except ValueError as e:  # an input we have no frontend for is the user's error
            known = ", ".join(f".{name}" for name in sorted(self.available_frontends))
            raise TesseraError(f"{self._input_name()}: {e} (known: {known}; or pass "
                               f"-f/--frontend)") from None

    def parse_chunk(self, chunk, file_extension, start_offset=0):
        from tessera.compiler.diagnostics import verify_located

        self._chunk_offset = start_offset
        module = super().parse_chunk(chunk, file_extension, start_offset)
        if module is not None and not self.args.disable_verify:
            # IR read from .mlir text is the user's: an xDSL verifier failing on it is
            # reported at the op (IR the .tsr frontend built is Tessera's).
            verify_located(module, read=file_extension == "mlir")
        return module

    def setup_pipeline(self):
        from xdsl.passes import PassPipeline
        from xdsl.printer import Printer

        from tessera.compiler.diagnostics import verify_located

        started = time.perf_counter()

        def between(previous, module, following):
            nonlocal started
            if self.args.time_passes and previous is not None:
                print(f"Pass {previous.name} took {time.perf_counter() - started} seconds")
            if not self.args.disable_verify:
                verify_located(module)
            if previous and following and self.args.print_between_passes:
                print(f"IR after {previous.name}:")
                Printer(stream=sys.stdout).print_op(module)
                print("\n\n\n")
            started = time.perf_counter()

        from xdsl.utils.exceptions import ArgSpecParseError

        from tessera.compiler.diagnostics import TesseraError

        try:
            self.pipeline = PassPipeline.parse_spec(self.available_passes, self.args.passes,
                                                    between)
        except ArgSpecParseError as e:  # a BaseException in xDSL: not an internal error
            raise TesseraError(f"pass pipeline '{self.args.passes}': {e}") from None
        except ValueError as e:  # an unknown pass or option, an option of the wrong type
            raise TesseraError(f"pass pipeline '{self.args.passes}': {e}") from None


def main(argv: list[str] | None = None) -> int:
    from tessera.compiler.diagnostics import run_reporting_errors

    return run_reporting_errors("tessera-opt", lambda: TesseraOptMain(args=argv).run())


if __name__ == "__main__":
    sys.exit(main())
