"""What the server and `RemoteBackend` agree on about the HTTP API's layout."""

from __future__ import annotations

API_PREFIX = "/api/v1"
"""Where a server speaks reserver's own API; its unprefixed paths speak the seed's."""

NEXT_CURSOR_HEADER = "X-Next-Cursor"
"""The header of a page of a listing (asked with `limit`) holding the cursor to pass as
`after` for the next page; absent on the last page."""

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""The header naming a booking request, so that sending it again returns its booking."""
