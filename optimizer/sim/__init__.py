"""The SimPy fleet simulator, its twin model, statistics and strategies."""
