"""Identities and how they are drawn: articulated figures with clothing, patterns, bags and hats.

Colours come from shared palettes, so several people wear the same shirt: colour alone does not
identify anyone; the combination of garments, pattern, accessories and build does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SHIRTS = [(200, 40, 40), (40, 70, 190), (235, 235, 235), (30, 30, 30), (60, 150, 60), (230, 200, 50),
          (130, 60, 150), (240, 130, 40), (120, 120, 120), (90, 190, 210)]
TROUSERS = [(30, 30, 60), (20, 20, 20), (110, 90, 70), (140, 140, 150), (60, 80, 120), (190, 170, 130)]
SKIN = [(240, 200, 170), (200, 150, 110), (150, 100, 70), (100, 65, 45)]
HAIR = [(20, 15, 10), (90, 60, 30), (200, 170, 100), (140, 140, 140)]
ACCENTS = [(250, 250, 250), (20, 20, 20), (220, 30, 30), (30, 30, 200), (240, 220, 40)]
PATTERNS = ("plain", "stripes", "two_tone", "logo")
BAGS = ("none", "backpack", "shoulder")


@dataclass(frozen=True)
class Identity:
    pid: int
    shirt: tuple
    trousers: tuple
    skin: tuple
    hair: tuple
    pattern: str
    accent: tuple
    bag: str
    bag_colour: tuple
    hat: tuple | None
    height: float  # relative build
    width: float
    stride_phase: float
    speed: float  # relative walking speed


def random_identities(n: int, rng: np.random.Generator, shared_palette: int | None = None) -> list[Identity]:
    """``shared_palette`` limits the shirt colours (harder: more people look alike)."""
    shirts = SHIRTS[: shared_palette or len(SHIRTS)]
    out = []
    for pid in range(n):
        out.append(Identity(
            pid=pid,
            shirt=shirts[rng.integers(len(shirts))],
            trousers=TROUSERS[rng.integers(len(TROUSERS))],
            skin=SKIN[rng.integers(len(SKIN))],
            hair=HAIR[rng.integers(len(HAIR))],
            pattern=PATTERNS[rng.integers(len(PATTERNS))],
            accent=ACCENTS[rng.integers(len(ACCENTS))],
            bag=BAGS[rng.choice(3, p=[0.5, 0.3, 0.2])],
            bag_colour=ACCENTS[rng.integers(len(ACCENTS))] if rng.random() < 0.5 else TROUSERS[rng.integers(6)],
            hat=ACCENTS[rng.integers(len(ACCENTS))] if rng.random() < 0.25 else None,
            height=float(rng.uniform(0.88, 1.12)),
            width=float(rng.uniform(0.8, 1.25)),
            stride_phase=float(rng.uniform(0, 2 * np.pi)),
            speed=float(rng.uniform(0.8, 1.25)),
        ))
    return out


# noqa reason: one branch per clothing and accessory kind, drawn in order
def draw_person(ident: Identity,  # noqa: C901
                 height_px: float, phase: float, facing: int, cast: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Render a person of ``height_px`` (top of head to feet) in walking ``phase``.

    Returns an RGB patch, its mask (uint8 0/1) and the patch offset of the feet point (x, y): the
    caller places the feet on the ground. ``facing`` is +1 (walking right) or -1.
    ``cast`` is the camera's per-channel colour gain, applied to clothing here so that the mask
    edge stays crisp.
    """
    import cv2

    H = float(height_px) * ident.height
    W = H * 0.42 * ident.width
    pad = int(H * 0.25) + 4
    ph, pw = int(H) + 2 * pad, int(W) + 2 * pad
    img = np.zeros((ph, pw, 3), np.uint8)
    mask = np.zeros((ph, pw), np.uint8)
    cx, feet = pw / 2, pad + H

    def col(c):
        return tuple(int(v) for v in np.clip(np.asarray(c) * cast, 0, 255))

    def poly(points, colour):
        pts = np.round(np.asarray(points)).astype(np.int32)
        cv2.fillConvexPoly(img, pts, col(colour), lineType=cv2.LINE_AA)
        cv2.fillConvexPoly(mask, pts, 1)

    def limb(p0, p1, thick, colour):
        p0, p1 = tuple(int(round(v)) for v in p0), tuple(int(round(v)) for v in p1)
        t = max(int(round(thick)), 1)
        cv2.line(img, p0, p1, col(colour), t, lineType=cv2.LINE_AA)
        cv2.line(mask, p0, p1, 1, t)

    head_r = H * 0.075
    neck_y = feet - H + 2 * head_r
    hip_y = feet - H * 0.47
    shoulder_w, hip_w = W * 0.5, W * 0.4
    swing = np.sin(phase)
    leg_len = feet - hip_y
    leg_t = W * 0.17
    # legs: the far one first (darker), swinging opposite
    for side, s in ((-1, swing), (1, -swing)):
        hip = (cx + side * hip_w * 0.25, hip_y)
        foot = (cx + side * hip_w * 0.15 + s * leg_len * 0.35 * facing, feet - abs(s) * H * 0.01)
        shade = np.asarray(ident.trousers) * (0.8 if side == -1 else 1.0)
        limb(hip, foot, leg_t, shade)
        limb(foot, (foot[0] + facing * leg_t * 0.9, foot[1]), leg_t * 0.6, (25, 25, 25))
    if ident.bag == "backpack":
        bx = cx - facing * shoulder_w * 0.55
        poly([(bx - W * 0.14, neck_y + H * 0.04), (bx + W * 0.14, neck_y + H * 0.04),
              (bx + W * 0.16, hip_y - H * 0.02), (bx - W * 0.16, hip_y - H * 0.02)], ident.bag_colour)
    # torso
    torso = [(cx - shoulder_w / 2, neck_y + H * 0.02), (cx + shoulder_w / 2, neck_y + H * 0.02),
             (cx + hip_w / 2, hip_y + H * 0.03), (cx - hip_w / 2, hip_y + H * 0.03)]
    poly(torso, ident.shirt)
    top, bottom = neck_y + H * 0.02, hip_y + H * 0.03
    if ident.pattern == "stripes":
        n = 4
        for k in range(n):
            y0 = top + (bottom - top) * (k + 0.5) / n
            limb((cx - shoulder_w * 0.45, y0), (cx + shoulder_w * 0.45, y0), max(H * 0.025, 1), ident.accent)
    elif ident.pattern == "two_tone":
        poly([(cx, top), (cx + shoulder_w / 2, top), (cx + hip_w / 2, bottom), (cx, bottom)], ident.accent)
    elif ident.pattern == "logo":
        r = max(W * 0.12, 1.5)
        cv2.circle(img, (int(cx), int(top + (bottom - top) * 0.35)), int(r), col(ident.accent), -1, cv2.LINE_AA)
    # arms swing opposite to legs
    arm_len = H * 0.32
    arm_t = W * 0.13
    for side, s in ((-1, -swing), (1, swing)):
        sh = (cx + side * shoulder_w * 0.45, neck_y + H * 0.05)
        hand = (sh[0] + s * arm_len * 0.4 * facing, sh[1] + arm_len * np.sqrt(max(1 - (0.4 * s) ** 2, 0.1)))
        limb(sh, hand, arm_t, ident.shirt)
        cv2.circle(img, (int(hand[0]), int(hand[1])), max(int(arm_t * 0.5), 1), col(ident.skin), -1)
    if ident.bag == "shoulder":
        bx = cx + facing * hip_w * 0.55
        poly([(bx - W * 0.13, hip_y - H * 0.07), (bx + W * 0.13, hip_y - H * 0.07),
              (bx + W * 0.13, hip_y + H * 0.08), (bx - W * 0.13, hip_y + H * 0.08)], ident.bag_colour)
        limb((cx - facing * shoulder_w * 0.35, neck_y + H * 0.03), (bx, hip_y - H * 0.07), max(H * 0.015, 1),
             ident.bag_colour)
    # head, hair, hat
    hc = (int(cx), int(neck_y - head_r))
    cv2.circle(img, hc, max(int(head_r), 1), col(ident.skin), -1, cv2.LINE_AA)
    cv2.circle(mask, hc, max(int(head_r), 1), 1, -1)
    cv2.ellipse(img, hc, (max(int(head_r), 1), max(int(head_r * 0.6), 1)), 0, 180, 360, col(ident.hair), -1)
    if ident.hat is not None:
        cv2.ellipse(img, (hc[0], int(hc[1] - head_r * 0.4)), (int(head_r * 1.1) + 1, int(head_r * 0.7) + 1),
                    0, 180, 360, col(ident.hat), -1)
        cv2.ellipse(mask, (hc[0], int(hc[1] - head_r * 0.4)), (int(head_r * 1.1) + 1, int(head_r * 0.7) + 1),
                    0, 180, 360, 1, -1)
        limb((hc[0], hc[1] - head_r * 0.4), (hc[0] + facing * head_r * 1.6, hc[1] - head_r * 0.4),
             max(head_r * 0.3, 1), ident.hat)
    return img, mask, (int(round(cx)), int(round(feet)))
