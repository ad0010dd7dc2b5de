"""colorgan tests: a regular package, since torch-fidelity installs a top-level ``tests`` that would shadow ours."""
