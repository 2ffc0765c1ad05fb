"""Did-you-mean hints for misspelt names in messages (a core text helper every layer may use)."""
from __future__ import annotations

import difflib
from typing import Any


def suggest(name: str, choices: Any) -> str:
    """` (did you mean 'x'?)` when a close match exists, else ''."""
    match = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
