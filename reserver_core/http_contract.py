"""What the server and `RemoteBackend` agree on about the HTTP API's layout."""

from __future__ import annotations

API_PREFIX = "/api/v1"
"""Where a server speaks reserver's own API; its unprefixed paths speak the seed's."""
