"""The service layer: use cases in plain Python, one transaction each over a unit of work,
returning read models; the rules they apply live in domain/."""
