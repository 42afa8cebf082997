"""Benchmarks: scripts that print measured figures as ratios to a floor measured in the same run."""
