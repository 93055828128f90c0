"""Multipart uploads read inside the route, after the Idempotency-Key dependency has fingerprinted the raw body.

The helper is shared by the services and lives in ``libs.kit.multipart`` (see its docstring); this module keeps
the registry's import path.
"""

from __future__ import annotations

from libs.kit.multipart import Upload, multipart_body, read_upload

__all__ = ["Upload", "multipart_body", "read_upload"]
