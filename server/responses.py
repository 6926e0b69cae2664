"""JSON responses built straight from the core's schema objects.

Routes return these instead of letting FastAPI re-validate the dataclasses
through pydantic on every request: the data is already checked by the core,
and `response_model` on each route still documents the shape in OpenAPI.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from reserver_core.schemas import to_json


def json_response(
    data: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """`data` (schema objects, lists, plain JSON) as an `application/json` response."""
    body = json.dumps(to_json(data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code, headers, media_type="application/json")
