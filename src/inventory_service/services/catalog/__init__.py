"""The catalog: products, their batches, stock levels and the movements that change them."""
