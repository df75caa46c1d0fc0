"""Inventory counts (stock-takes): their lifecycle, completion and reports."""
