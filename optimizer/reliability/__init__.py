"""Life distributions, life-data fitting and the cost of one component over time."""
