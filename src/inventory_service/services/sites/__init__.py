"""Sites and the locations inside them: the admin's side (create, list, update, deactivate)."""
