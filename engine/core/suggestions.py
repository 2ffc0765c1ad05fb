"""Did-you-mean hints for misspelt names in messages (a core text helper every layer may use)."""
from __future__ import annotations

import difflib
from typing import Any


def closest(name: Any, choices: Any) -> str:
    """The choice closest to a misspelt `name`, or '' when none is close (a message's `suggestion` param)."""
    match = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return match[0] if match else ""


def suggest(name: str, choices: Any) -> str:
    """` (did you mean 'x'?)` when a close match exists, else ''."""
    match = closest(name, choices)
    return f" (did you mean {match!r}?)" if match else ""
