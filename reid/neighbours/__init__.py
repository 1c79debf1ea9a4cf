"""Nearest neighbours over tracklet features: exact blockwise top-k and the Eq. 4 affinity
(topk), the one own-camera / other-camera pass merge, match and the refresh read (search), and
its settings (config, no torch: the command line builds its flags from them)."""
