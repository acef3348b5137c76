"""The typed commands, one module per word: placement, training, nudges, digest."""
