"""The frozen planning problem: data, builders from a scenario, plans, purchasing."""
