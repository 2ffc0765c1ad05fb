"""Photos for the capture tests: a camera-sized JPEG of about 4 MB (gradients under noise, as a real photo of
a site compresses badly), made with Pillow so no sample file has to be kept."""
from __future__ import annotations

import io
import random

from PIL import Image


def noisy_jpeg(width: int = 3600, height: int = 2700, seed: int = 18) -> bytes:
    """A JPEG of roughly 4 MB: a light sky-to-ground gradient with fine noise, at quality 90."""
    generator = random.Random(seed)
    small = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.frombytes("L", (width, height), generator.randbytes(width * height)).convert("RGB")
    image = Image.blend(small, noise, 0.22)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
