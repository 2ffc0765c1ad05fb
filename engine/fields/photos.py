"""Shrink photos of `capture: camera` fields on the server too: a phone without the page's script (or an API
client) must not fill the disk with 4 MB photos. The page shrinks them before upload; this is the safety net."""
from __future__ import annotations

import io
import os
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from engine.declarations.model import FieldSpec

MAX_BYTES = 400 * 1024          # what a stored camera photo may weigh
LONGEST_SIDE = 1600             # pixels, as the page resizes them
QUALITIES = (85, 75, 65, 55, 45, 35)
SHRINKABLE = frozenset({"image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff", "image/heic"})
MAX_PIXELS = 80_000_000         # larger claims are refused as decompression bombs, and stored as they came


def is_camera(spec: FieldSpec | None) -> bool:
    return spec is not None and spec.type == "attachment" and spec.presentation.get("capture") == "camera"


def shrunk(name: str, content_type: str, data: bytes) -> tuple[str, str, bytes]:
    """The photo as a JPEG of at most MAX_BYTES (name ending .jpg), or the upload unchanged when it is small
    enough or is no image Pillow can read (the field's type and size checks then judge it as it is)."""
    if len(data) <= MAX_BYTES or content_type not in SHRINKABLE:
        return name, content_type, data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            if opened.width * opened.height > MAX_PIXELS:
                return name, content_type, data
            opened.draft("RGB", (LONGEST_SIDE, LONGEST_SIDE))   # JPEG: decode at a reduced scale, far faster
            image: Image.Image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        return name, content_type, data
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
    while True:
        for quality in QUALITIES:
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=quality, optimize=True)
            if buffer.tell() <= MAX_BYTES:
                return f"{os.path.splitext(name)[0]}.jpg", "image/jpeg", buffer.getvalue()
        image = image.resize((max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)),
                             Image.Resampling.LANCZOS)
