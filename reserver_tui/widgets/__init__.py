"""Reusable widgets of the full-screen app; they post messages and never call the backend."""
