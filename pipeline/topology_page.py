"""topology.html: the camera graph (link strength), each route's transit histogram against chance,
and each camera's zones drawn on one of its frames. Pictures are inline SVG (graph, histograms)
and JPEG (frames), so the page is one file."""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from pipeline.report import HtmlReport, img_tag, table_html

KIND_COLOUR = {"transit": "#1f5fbf", "overlap": "#1a9e50", "indirect": "#bbbbbb", "re-entry": "#c27c0e"}
ZONE_COLOURS = [(230, 57, 70), (29, 120, 200), (42, 157, 80), (240, 160, 20), (140, 80, 200), (20, 170, 170)]


def camera_graph_svg(topo, size: int = 520) -> str:
    """Cameras on a circle; walking links as blue lines (width: log of their matches), shared views
    green and dashed; indirect routes left out."""
    C = len(topo.cameras)
    r = size * 0.38
    ang = np.linspace(0, 2 * np.pi, C, endpoint=False) - np.pi / 2
    xy = np.column_stack([size / 2 + r * np.cos(ang), size / 2 + r * np.sin(ang)])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
             f'style="background:#fafafa;border:1px solid #ddd">']
    drawn: dict[tuple[int, int], float] = {}
    for route in topo.routes():
        if route.kind in ("indirect", "re-entry"):
            continue
        key = (min(route.source, route.target), max(route.source, route.target))
        drawn[key] = drawn.get(key, 0.0) + route.matches
        a, b = xy[key[0]], xy[key[1]]
        width = 1 + 1.5 * np.log1p(drawn[key])
        dash = ' stroke-dasharray="8,5"' if route.kind == "overlap" else ""
        shown = route.transit if route.transit is not None else route.lag
        label = "watch one place" if route.kind == "overlap" else f"{shown:.0f} s"
        parts.append(f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}" '
                     f'stroke="{KIND_COLOUR[route.kind]}" stroke-width="{width:.1f}" opacity="0.7"{dash}>'
                     f'<title>{html.escape(topo.cameras[route.source])} - {html.escape(topo.cameras[route.target])}: '
                     f'{html.escape(label)}, {route.matches:.0f} matches</title></line>')
    for c, (x, y) in enumerate(xy):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="20" fill="#fff" stroke="#333" stroke-width="2"/>'
                     f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="middle" font-family="sans-serif">'
                     f'{html.escape(topo.cameras[c][:8])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(hist: dict, title: str, width: int = 320, height: int = 120) -> str:
    """Matched pairs per bin (bars) against what chance alone puts there (red line)."""
    if not hist or not hist.get("matches"):
        return ""
    counts, chance = np.asarray(hist["matches"], float), np.asarray(hist["chance"], float)
    edges = np.asarray(hist["edges_s"], float)
    top = max(counts.max(), chance.max(), 1.0)
    n = len(counts)
    bw = (width - 40) / n
    h = height - 30
    bars = "".join(f'<rect x="{30 + k * bw:.1f}" y="{10 + h * (1 - c / top):.1f}" width="{max(bw - 1, 1):.1f}" '
                   f'height="{h * c / top:.1f}" fill="#1f5fbf"/>' for k, c in enumerate(counts))
    pts = " ".join(f"{30 + (k + 0.5) * bw:.1f},{10 + h * (1 - c / top):.1f}" for k, c in enumerate(chance))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" style="margin:4px">'
            f'<text x="30" y="9" font-size="10" font-family="sans-serif">{html.escape(title)}</text>{bars}'
            f'<polyline points="{pts}" fill="none" stroke="#d62828" stroke-width="1.5"/>'
            f'<text x="30" y="{height - 4}" font-size="9" font-family="sans-serif">{edges[0]:.0f} s</text>'
            f'<text x="{width - 10}" y="{height - 4}" font-size="9" text-anchor="end" font-family="sans-serif">'
            f'{edges[-1]:.0f} s</text></svg>')


def camera_frame(store, camera: str, size: tuple[int, int] = (360, 640)) -> tuple[np.ndarray, str]:
    """(RGB frame, note): the middle frame of the camera's video, or a grey canvas saying why not."""
    import cv2

    sources = store.camera(camera).attrs.get("source") or []
    path = sources[0] if isinstance(sources, (list, tuple, np.ndarray)) and len(sources) else sources
    if path:
        cap = cv2.VideoCapture(str(path))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        cap.set(cv2.CAP_PROP_POS_FRAMES, max(n // 2, 0))
        ok, frame = cap.read()
        cap.release()
        if ok and frame is not None:
            return frame[:, :, ::-1].copy(), ""
    canvas = np.full((*size, 3), 200, np.uint8)
    return canvas, f"no frame: the video {path or '(not recorded)'} could not be read; zones on a blank frame"


def zones_picture(frame: np.ndarray, zones, entries: np.ndarray, exits: np.ndarray) -> np.ndarray:
    """The zones as labelled circles over the frame, with a sample of entry (green) and exit (red) points."""
    import cv2

    img = np.ascontiguousarray(frame.copy())
    H, W = img.shape[:2]
    for pts, col in ((entries, (40, 200, 60)), (exits, (220, 40, 40))):
        p = pts[np.isfinite(pts).all(1)][:400]
        for x, y in p:
            cv2.circle(img, (int(x * W), int(y * H)), 2, col, -1)
    for k, (c, rad) in enumerate(zip(zones.centres, zones.radius)):
        col = ZONE_COLOURS[k % len(ZONE_COLOURS)]
        centre = (int(c[0] * W), int(c[1] * H))
        cv2.circle(img, centre, max(int(rad * max(W, H)), 6), col, 2)
        cv2.putText(img, f"zone {k}", (centre[0] + 6, centre[1] - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5, col, 2)
    return img


def write_page(topo, tf, summary: dict, path: Path) -> Path:
    names = topo.cameras
    rep = HtmlReport("pipeline topology")
    rep.text(f"Learnt without labels from {summary['matches']} confident appearance matches ({summary.get('model')}); "
             f"{summary['explained_by_time']:.0%} of them are explained by time, the rest by chance.")
    rep.heading("Camera graph (blue: walking links, width by matches; green dashed: cameras watching one place)")
    rep.raw(camera_graph_svg(topo))
    cams = [[n, f"{o:+.1f}" if k else "unknown", int(g), len(topo.zones[c].centres)]
            for c, (n, o, k, g) in enumerate(zip(names, topo.offsets, topo.offset_known, topo.group))]
    rep.heading("Cameras: clock offsets (seconds ahead of the first camera of their group) and zones")
    rep.raw(table_html(["camera", "clock offset s", "clock group", "zones"], cams))
    routes = sorted(topo.routes(), key=lambda r: (r.kind != "transit", r.kind, -r.matches))
    rep.heading("Routes (indirect: walks through a third camera, kept as evidence, not as links)")
    rep.raw(table_html(["from", "to", "kind", "transit s", "spread s", "matches", "evidence (log-lik.)",
                        "seen by a third camera between"],
                       [[names[r.source], names[r.target], r.kind, r.transit, r.sd, r.matches, r.gain, r.between]
                        for r in routes]))
    rep.heading("Transit-time histograms: confident matches (bars) against chance (red line)")
    rep.raw("".join(histogram_svg(r.histogram, f"{names[r.source]} -> {names[r.target]} ({r.kind})")
                    for r in routes if r.kind != "indirect"))
    rep.heading("Zones: where tracklets enter (green) and leave (red) each view")
    idx = tf.index
    tags = []
    for c, name in enumerate(names):
        frame, note = camera_frame(tf.store, name)
        rows = idx.camera_of == c
        entries = idx.entry[rows] if idx.entry is not None else np.zeros((0, 2))
        exits = idx.exit[rows] if idx.exit is not None else np.zeros((0, 2))
        tags.append(img_tag(zones_picture(frame, topo.zones[c], entries, exits), height=240,
                            title=f"{name}" + (f": {note}" if note else "")))
    rep.images(tags, "each camera's zones (hover for notes)")
    return rep.write(path)
