"""Stock adjustments and their manager approval workflow."""
