"""The shape every shell question of L5 shares (`opsdesk sla targets`, `opsdesk calendar
add-working-days`, and the coming `opsdesk ood ...`): one answer from flags, or one answer a line
from standard input, in order. A refused input is a CommandError (a message on standard error and
exit status 1, never a traceback) naming the line; the lines before it have been answered."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.management.base import CommandError, OutputWrapper

from opsdesk.core.errors import ValidationFailed


def answer_flags(stdout: OutputWrapper, answer: Callable[..., str], *values: str) -> None:
    """Write answer(*values), or refuse with the service's message."""
    try:
        stdout.write(answer(*values))
    except ValidationFailed as exc:
        raise CommandError(exc.detail)


def answer_lines(
    stdout: OutputWrapper, lines: Iterable[str], answer: Callable[..., str], *, expected: str
) -> None:
    """Write answer(*words) for each non-blank line of `expected` words ('PRIORITY TIMESTAMP');
    stop at the first refused line, naming it."""
    count = len(expected.split())
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        words = line.split()
        if len(words) != count:
            raise CommandError(f"line {number}: expected '{expected}', got {line.strip()!r}")
        try:
            stdout.write(answer(*words))
        except ValidationFailed as exc:
            raise CommandError(f"line {number}: {exc.detail}")
