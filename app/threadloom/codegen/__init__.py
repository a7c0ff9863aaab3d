"""The plain program behind a scenario: what each model's code looks like without Threadloom.

:func:`generate_program` turns a validated :class:`~threadloom.scenario.Scenario` and a model's
name into a standalone Python program (standard library only, no instrumentation) that does
the scenario's work under that model and prints its makespan. Same inputs, same text: the
programs are deterministic, formatted as ``ruff format`` formats them, and pass ``ruff check``.

Which program shape each model gets is one table, :data:`~threadloom.codegen.program.TEMPLATES`;
which steps a coroutine hands to a thread follows the model's ``step_places``.
"""

from __future__ import annotations

from .program import TEMPLATES, code_models, generate_program, program_file_name

__all__ = ["TEMPLATES", "code_models", "generate_program", "program_file_name"]
