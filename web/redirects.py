"""Where a form may send the browser next: only to a path on this site, checked in this one place."""
from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site (`/x`, `/x?y=1`), else None.

    Refused: anything with a scheme or host (`https://elsewhere`, `javascript:`), protocol-relative
    `//elsewhere`, and backslashes, whitespace or control characters, which browsers read as slashes
    or drop (`/\\elsewhere`, `/\t/elsewhere` both lead to another site).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 33 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
