"""Measuring colorizers: the metric suite, CIEDE2000, FID/LPIPS, scoring datasets, reports and grids."""
