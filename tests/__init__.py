"""colorgan tests. A regular package: torch-fidelity installs a top-level ``tests`` that would shadow a namespace one."""
