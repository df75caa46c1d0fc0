"""The service layer: business rules in plain Python, over a unit of work."""
