"""The learner-neutral training loop (trainer) and its hooks; a learner (utal, contrast) plugs
in an objective."""
