"""Self-contained HTML reports: tables and images inlined (base64 JPEG), no external files."""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Sequence

import numpy as np


def to_height(img: np.ndarray, height: int) -> np.ndarray:
    """``img`` resized to ``height`` pixels, its aspect kept."""
    import cv2

    w = max(int(round(img.shape[1] * height / img.shape[0])), 1)
    return cv2.resize(img, (w, height), interpolation=cv2.INTER_AREA)


def img_tag(rgb: np.ndarray, height: int | None = None, title: str = "", border: str | None = None) -> str:
    import cv2

    img = to_height(rgb, height) if height and rgb.shape[0] != height else rgb
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(img[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 85])
    style = f' style="border:3px solid {border}"' if border else ""
    data = base64.b64encode(buf.tobytes()).decode()
    return f'<img src="data:image/jpeg;base64,{data}" title="{html.escape(title)}"{style}>'


def table_html(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(v: object) -> str:
        if v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
            return "-"
        if isinstance(v, (float, np.floating)):
            return f"{v:.3f}"
        return html.escape(str(v))

    def td(v: object) -> str:  # numbers right-aligned, words left
        number = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        return f"<td class=n>{cell(v)}</td>" if number else f"<td>{cell(v)}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(td(v) for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


class HtmlReport:
    def __init__(self, title: str):
        self.title = title
        self.parts: list[str] = []

    def heading(self, text: str) -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def text(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def raw(self, fragment: str) -> None:
        self.parts.append(fragment)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        self.parts.append(table_html(headers, rows))

    def images(self, tags: Sequence[str], caption: str = "") -> None:
        cap = f"<div class=cap>{html.escape(caption)}</div>" if caption else ""
        self.parts.append(f"<div class=row>{cap}{''.join(tags)}</div>")

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # rows of pictures wrap at the window's edge (nothing hidden past a scroll bar), and a
        # picture wider than the window shrinks to fit it
        style = ("body{font-family:sans-serif;margin:20px} table{border-collapse:collapse;margin:8px 0}"
                 "td,th{border:1px solid #bbb;padding:3px 8px;text-align:left} td.n{text-align:right}"
                 "th{background:#eee} .row{margin:6px 0;display:flex;flex-wrap:wrap;gap:3px;align-items:center}"
                 "img{max-width:100%;height:auto} .cap{font-size:12px;color:#555;flex-basis:100%}")
        page = (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(self.title)}</title>"
                f"<style>{style}</style></head><body><h1>{html.escape(self.title)}</h1>{''.join(self.parts)}"
                "</body></html>")
        path.write_text(page)
        return path
