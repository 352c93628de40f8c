"""Image preprocessing for rate-coded STDP: grey, resize, and the retina-like
difference-of-Gaussians ON/OFF maps.

A difference of Gaussians (centre minus surround) split into an ON map (centre
brighter than surround) and an OFF map (darker) makes edges, not absolute
brightness, drive the input neurons, so lighting and background matter less
than shape. Used by every image loader that resizes (``folder``,
``caltech``, CIFAR-10 through ``vision``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy.ndimage import gaussian_filter

from ..errors import DataError

MODES = ("on_off", "dog", "gray")
FITS = ("stretch", "crop", "pad")


def read_image(path: Path | str) -> Image.Image:
    """Open and fully decode an image; DataError naming the file if it cannot be."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()  # decode now: a truncated JPEG fails here, not later
            return img.copy()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"cannot read image {path}: {exc}") from exc


def to_gray(image: Image.Image | np.ndarray | Path | str, size: tuple[int, int] | int = (28, 28),
            fit: str = "pad") -> np.ndarray:
    """Grayscale float32 in [0, 1] of shape ``size`` = (height, width).

    ``fit``: 'pad' (default) letterboxes with the border's mean grey, keeping
    the whole object undistorted; 'stretch' ignores the aspect ratio; 'crop'
    takes the central region of the right aspect (and can cut the object:
    on the 5-class subset it separated classes worst).
    """
    height, width = _size(size)
    if fit not in FITS:
        raise DataError(f"fit must be one of {FITS}, got {fit!r}")
    source = str(image) if isinstance(image, (str, Path)) else "an image"
    if isinstance(image, (str, Path)):
        image = read_image(image)
    if isinstance(image, np.ndarray):
        image = _array_to_pil(image)
    gray = _gray_8bit(image, source)
    if fit == "crop":
        gray = _crop_to_aspect(gray, width / height)
    elif fit == "pad":
        gray = _pad_to_aspect(gray, width / height)
    gray = gray.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(gray, dtype=np.float32) / 255.0


def dog_on_off(gray: np.ndarray, sigmas: tuple[float, float] = (1.0, 2.0)) -> np.ndarray:
    """ON and OFF difference-of-Gaussians maps, shape (2, H, W), float32 in [0, 1].

    ``sigmas`` = (centre, surround) in pixels of ``gray``. Both maps are scaled
    by their common maximum, so the strongest edge in each image is rate 1.
    """
    center, surround = _dog_parts(gray, sigmas)
    dog = center - surround
    maps = np.stack([np.maximum(dog, 0.0), np.maximum(-dog, 0.0)])
    peak = maps.max()
    return (maps / peak if peak > 0 else maps).astype(np.float32)


def preprocess_image(image: Image.Image | np.ndarray | Path | str, size: tuple[int, int] | int = (28, 28),
               mode: str = "on_off", sigmas: tuple[float, float] = (1.0, 2.0),
               fit: str = "pad") -> np.ndarray:
    """One image to a (n_inputs,) float32 vector in [0, 1].

    ``mode``: 'on_off' -> 2*H*W (ON map then OFF map), 'dog' -> H*W (ON + OFF,
    i.e. the rectified edge magnitude), 'gray' -> H*W plain intensities.
    """
    if mode not in MODES:
        raise DataError(f"preprocess mode must be one of {MODES}, got {mode!r}")
    gray = to_gray(image, size, fit)
    if mode == "gray":
        return gray.reshape(-1)
    maps = dog_on_off(gray, sigmas)
    if mode == "dog":
        return maps.sum(axis=0).reshape(-1)
    return maps.reshape(-1)


def preprocess_stages(image: Image.Image | np.ndarray | Path | str, size: tuple[int, int] | int = (28, 28),
                      sigmas: tuple[float, float] = (1.0, 2.0), fit: str = "pad") -> dict[str, np.ndarray]:
    """Every intermediate image of the ON/OFF pipeline, for a figure.

    Keys in order: original (H0, W0, 3) uint8, gray (H, W), center, surround,
    dog (signed), on, off (each (H, W) float32).
    """
    if isinstance(image, (str, Path)):
        image = read_image(image)
    if isinstance(image, np.ndarray):
        image = _array_to_pil(image)
    gray = to_gray(image, size, fit)
    center, surround = _dog_parts(gray, sigmas)
    on, off = dog_on_off(gray, sigmas)
    return {"original": np.asarray(image.convert("RGB")), "gray": gray,
            "center": center, "surround": surround, "dog": center - surround,
            "on": on, "off": off}


def n_inputs(size: tuple[int, int] | int = (28, 28), mode: str = "on_off") -> int:
    height, width = _size(size)
    return height * width * (2 if mode == "on_off" else 1)


def image_shape(size: tuple[int, int] | int = (28, 28), mode: str = "on_off") -> tuple[int, int]:
    """The shape plots draw an input vector in: the ON map above the OFF map for 'on_off'."""
    height, width = _size(size)
    return (2 * height, width) if mode == "on_off" else (height, width)


def _size(size: tuple[int, int] | int) -> tuple[int, int]:
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    if height < 4 or width < 4:
        raise DataError(f"image size must be at least 4x4, got {size}")
    return int(height), int(width)


def _dog_parts(gray: np.ndarray, sigmas: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    s_center, s_surround = sigmas
    if not 0 < s_center < s_surround:
        raise DataError(f"DoG sigmas must satisfy 0 < centre < surround, got {tuple(sigmas)}")
    return (gaussian_filter(gray, s_center, mode="nearest"),
            gaussian_filter(gray, s_surround, mode="nearest"))


def _gray_8bit(image: Image.Image, source: str) -> Image.Image:
    """``image`` as 8-bit grey. Pillow's own conversion clips 16-bit and
    float pixels to 0..255; they are scaled instead: 16-bit images by 65535,
    float ones in [0, 1] by 255 (0..255 kept), 32-bit integer ones as 8-bit
    if they stay within 0..255, else as 16-bit."""
    if image.mode not in ("I", "F") and not image.mode.startswith("I;16"):
        return image.convert("L")
    values = np.asarray(image, dtype=np.float64)
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if image.mode == "F":
        full = 1.0 if hi <= 1.0 else 255.0
    else:
        full = 255.0 if image.mode == "I" and hi <= 255 else 65535.0
    if not np.isfinite(values).all() or lo < 0 or hi > full:
        raise DataError(f"cannot read image {source}: pixel values {lo:g}..{hi:g} of a "
                        f"{image.mode} image are not in 0..{full:g}")
    return Image.fromarray(np.round(values * (255.0 / full)).astype(np.uint8))


def _array_to_pil(array: np.ndarray) -> Image.Image:
    if array.dtype != np.uint8:
        array = (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return Image.fromarray(array)


def _crop_to_aspect(img: Image.Image, aspect: float) -> Image.Image:
    w, h = img.size
    if w / h > aspect:
        new_w = max(1, round(h * aspect))
        left = (w - new_w) // 2
        return img.crop((left, 0, left + new_w, h))
    new_h = max(1, round(w / aspect))
    top = (h - new_h) // 2
    return img.crop((0, top, w, top + new_h))


def _pad_to_aspect(img: Image.Image, aspect: float) -> Image.Image:
    w, h = img.size
    new_w, new_h = (round(h * aspect), h) if w / h < aspect else (w, round(w / aspect))
    border = np.concatenate([np.asarray(img)[[0, -1], :].ravel(), np.asarray(img)[:, [0, -1]].ravel()])
    canvas = Image.new("L", (new_w, new_h), int(border.mean()))
    canvas.paste(img, ((new_w - w) // 2, (new_h - h) // 2))
    return canvas
