"""One router per area of the HTTP API (DESIGN.md section 6)."""
