"""Loading and running any embedder (ours, ONNX, ImageNet or colour baselines), embedding
tracklets, and the files models live in."""
