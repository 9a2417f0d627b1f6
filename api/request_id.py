"""Every request gets an id (the client's X-Request-ID when it is sane, else a new one): in every log line
written while it is answered, and answered back as X-Request-ID (api/edge.py sets it)."""

from __future__ import annotations

import re

SANE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
