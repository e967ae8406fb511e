"""The one place where errors become exit codes: 0 success, 1 the spec or the output is wrong (a
user error, or a bug reported as one without a traceback), 2 bad usage (typer's own)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from promgen.errors import PromgenError, SpecError, printable, shortened


def exit_code(action: Callable[[], int], subject: str = "") -> int:
    """Run a command body; user errors become messages and exit 1, never a traceback. A bug (any
    other exception) is an "internal error" naming the spec, also exit 1; PROMGEN_DEBUG=1 shows
    its traceback."""
    try:
        return action()
    except SpecError as error:
        for problem in error.problems:
            print(problem.render(), file=sys.stderr)
        return 1
    except PromgenError as error:  # OutputError and the rest
        print(printable(f"error: {error}"), file=sys.stderr)
        return 1
    except (KeyboardInterrupt, SystemExit):
        raise
    except BrokenPipeError:  # the reader went away (`promgen validate ... | head`): nothing to tell
        return 1
    except Exception as error:
        if os.environ.get("PROMGEN_DEBUG") == "1":
            raise
        where = f" on {subject}" if subject else ""
        print(
            printable(shortened(f"internal error{where}: {type(error).__name__}: {error}", 2000))
            + "\nThis is a bug in promgen, not in your spec: please report it with the spec that triggers it"
            " (PROMGEN_DEBUG=1 shows the traceback).",
            file=sys.stderr,
        )
        return 1
