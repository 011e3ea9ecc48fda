"""condense worker: the Python side of condense (models, KV compression, evaluation, training)."""
