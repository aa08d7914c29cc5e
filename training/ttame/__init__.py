"""T-TAME: trainable attention for class-specific explanation maps, training side."""
