"""`inventory-client`: the inventory service from a terminal (click + rich). See app.py."""
