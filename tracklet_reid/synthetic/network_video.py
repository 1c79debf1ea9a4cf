"""The network preset of the rendered world (``views="network"``): the cameras watch places on a
walking graph, as in `tracklet_reid.synthetic.network`, but rendered to video so that the whole
product runs on it (extract, a real appearance model, topology, match).

- places on a ring with chords; the last two cameras watch the last place from both sides;
- each link has its own median transit time (seconds, log-normal spread), measured from the moment a
  person's centre leaves one image to the moment it enters the next;
- every camera has its own frame rate and starts recording at its own moment, so that its clock (the
  store's seconds, counted from its first frame) is behind true time by that much;
- people walk routes along the links (no straight turn back), some step back into a view they left,
  and half arrive within a rush.

The true topology (links, transit medians, offsets, frame rates, the shared view) is returned for
``topology_truth.json`` beside the ground truth: for scoring only, the learner never reads it.
"""
from __future__ import annotations

import numpy as np

from tracklet_reid.synthetic.network import NetworkConfig, _routes, _walking_graph
from tracklet_reid.synthetic.people import Identity
from tracklet_reid.synthetic.scene import Camera, Visit, WorldConfig

SPREAD = 0.15  # log-normal sigma of a link's transit times
RUSH_SHARE = 0.5
RE_ENTRY_GAP_S = (4.0, 10.0)


def network_visits(cfg: WorldConfig, cams: list[Camera], people: list[Identity],
                   rng: np.random.Generator) -> tuple[list[Visit], dict]:
    """Each camera's frame rate, frame count and start (set on ``cams``), every visit, and the true
    topology."""
    if cfg.cameras < 4:
        raise ValueError("the network preset needs at least 4 cameras")
    span = cfg.frames / cfg.fps  # seconds every camera records
    for c, cam in enumerate(cams):
        cam.fps = float(rng.choice(np.asarray(cfg.fps_choices)))
        cam.frames = int(round(span * cam.fps))
        cam.start_s = 0.0 if c == 0 else float(rng.uniform(0, cfg.max_offset_s))
    ncfg = NetworkConfig(cameras=cfg.cameras, people=len(people), route=(2, 4), chords=max(1, cfg.cameras // 4),
                         seed=cfg.seed)
    places, edges = _walking_graph(ncfg, rng)
    median = np.exp(rng.uniform(np.log(cfg.transit_s[0]), np.log(cfg.transit_s[1]), len(edges)))
    side = {(p, e): bool(rng.random() < 0.5) for e, link in enumerate(edges) for p in link}  # True: right
    place, via = _routes(ncfg, places, edges, rng)
    margin = cfg.h_near * 0.3
    shared = places - 1  # watched by the last two cameras

    def visit(pid: int, ci: int, t_in: float, rightward: bool) -> tuple[Visit, float]:
        """A walk across camera ``ci`` whose centre enters the image at true time ``t_in``; its
        true exit time."""
        cam = cams[ci]
        speed = 0.045 * cfg.h_near * people[pid].speed * 10.0 / cam.fps  # px per frame
        start = int(round((t_in - cam.start_s) * cam.fps - margin / speed))
        y0, y1 = rng.uniform(cam.horizon + 0.25 * (cfg.height - cam.horizon), cfg.height - 2, 2)
        xa, xb = -margin, cfg.width + margin
        v = Visit(pid, ci, start, xa if rightward else xb, xb if rightward else xa, float(y0), float(y1), float(speed))
        return v, t_in + cfg.width / speed / cam.fps

    visits: list[Visit] = []
    rush = rng.random(len(people)) < RUSH_SHARE
    start_t = np.where(rush, rng.normal(0.45 * span, 0.08 * span, len(people)),
                       rng.uniform(-0.1 * span, 0.8 * span, len(people)))
    for pid in range(len(people)):
        t = float(start_t[pid])
        steps = [s for s in range(place.shape[1]) if place[pid, s] >= 0]
        for s in steps:
            q = int(place[pid, s])
            if s > 0:
                t += float(median[via[pid, s]] * np.exp(rng.normal(0, SPREAD)))
            nxt = via[pid, s + 1] if s + 1 < place.shape[1] and place[pid, s + 1] >= 0 else -1
            rightward = side[(q, int(nxt))] if nxt >= 0 else bool(rng.random() < 0.5)  # toward the next link
            v, t_out = visit(pid, q, t, rightward)
            visits.append(v)
            if q == shared and rng.random() < cfg.partner_sees:  # the other side: about the same time, mirrored
                w, _ = visit(pid, cfg.cameras - 1, t + rng.uniform(-1.0, 1.0), not rightward)
                visits.append(w)
            t = t_out
            if s + 1 < len(steps) and rng.random() < cfg.re_entry:  # out, turn round, back in the same side
                back, t = visit(pid, q, t + rng.uniform(*RE_ENTRY_GAP_S), not rightward)
                visits.append(back)
    names = [cam.name for cam in cams]
    links = [{"cameras": [names[a], names[b]], "median_transit_s": float(m),
              "zones": ["right" if side[(a, e)] else "left", "right" if side[(b, e)] else "left"]}
             for e, ((a, b), m) in enumerate(zip(edges, median))]
    links += [{"cameras": [names[-1], names[b if a == shared else a]], "median_transit_s": float(m),
               "zones": ["mirrored", "mirrored"]} for (a, b), m in zip(edges, median) if shared in (a, b)]
    truth = {"links": links, "overlapping": [[names[-2], names[-1]]],
             # a camera's clock counts from its first frame: behind true time by its start
             "offsets_s": {cam.name: -cam.start_s for cam in cams}, "fps": {cam.name: cam.fps for cam in cams},
             "note": "for scoring only: the learner never reads this file"}
    return visits, truth
