"""The screens and modals of the full-screen app."""
