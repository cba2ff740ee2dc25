"""Scannable codes drawn as SVG on the server: the membership card's Code 128 barcode and QR
code, and each voucher's. No network and no script: the page carries the drawing itself, so a
card shown at the till works offline once loaded.

The bars come from python-barcode's Code 128 encoder and the modules from the `qrcode` package;
the SVG is ours, with a viewBox (it scales to any width) and colours as attributes (no `style`,
so the strict Content-Security-Policy allows it inline).
"""

from __future__ import annotations

import logging
from functools import lru_cache

import qrcode
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# python-barcode says at import that Pillow is missing (we draw SVG ourselves): not news.
logging.getLogger("pyBarcode").setLevel(logging.WARNING)
import barcode  # noqa: E402

QUIET_ZONE = 10  # Code 128 wants ten modules of white either side
QR_BORDER = 4


@lru_cache(maxsize=2048)
def code128_svg(value: str, *, height: int = 40, label: str = "") -> SafeString:
    """`value` as a Code 128 barcode: an inline SVG that scales to its container's width."""
    modules = barcode.get("code128", value).build()[0]
    width = len(modules) + 2 * QUIET_ZONE
    rects = []
    x = QUIET_ZONE
    run_start = None
    for position, bit in enumerate(modules + "0"):
        if bit == "1" and run_start is None:
            run_start = position
        elif bit != "1" and run_start is not None:
            bar = position - run_start
            rects.append(f'<rect x="{x + run_start}" y="0" width="{bar}" height="{height}"/>')
            run_start = None
    title = escape(label or value)
    svg = (
        f'<svg class="code code--bar" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="none" shape-rendering="crispEdges">'
        f"<title>{title}</title>"
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        f'<g fill="#000">{"".join(rects)}</g></svg>'
    )
    return mark_safe(svg)  # noqa: S308 - numbers and an escaped title only


@lru_cache(maxsize=2048)
def qr_svg(value: str, *, label: str = "") -> SafeString:
    """`value` as a QR code (error correction M): an inline, square, scalable SVG."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER)
    code.add_data(value)
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the border
    size = len(matrix)
    path = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    title = escape(label or value)
    svg = (
        f'<svg class="code code--qr" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f"<title>{title}</title>"
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )
    return mark_safe(svg)  # noqa: S308 - numbers and an escaped title only
