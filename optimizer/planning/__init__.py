"""From a scenario to a plan result: build, solve, work orders, shutdowns."""
