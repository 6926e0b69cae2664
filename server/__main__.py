"""`python -m server`: run the reserver HTTP server."""

from __future__ import annotations

import sys

from server.run import main

sys.exit(main())
