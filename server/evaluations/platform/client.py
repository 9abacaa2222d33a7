"""The provincial 好差评 platform's HTTP client: POST one record, idempotent by its id."""

from __future__ import annotations

from typing import Any

import httpx


class UploadError(Exception):
    """A record that did not go through; `rejected` when the platform refused the record."""

    def __init__(self, message: str, *, rejected: bool = False) -> None:
        super().__init__(message)
        self.rejected = rejected


class PlatformClient:
    """POST {base}/records, with the record id as the idempotency key."""

    def __init__(self, base: str, *, key: str, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=base, timeout=timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {key}"})

    def upload(self, record: dict[str, Any]) -> str:
        """Send one record; "accepted", or "duplicate" for one the platform already has."""
        try:
            r = self._http.post("/records", json=record,
                                headers={"Idempotency-Key": str(record.get("record_id"))})
        except httpx.HTTPError as err:
            raise UploadError(f"platform unreachable: {err!r}") from err
        try:
            data = r.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if r.status_code == 200 and data.get("status") in ("accepted", "duplicate"):
            return str(data["status"])
        errors = "; ".join(str(e) for e in data.get("errors", [])) or r.text[:200]
        # 422 is about this record: sending it again cannot help. 409 (a predecessor the
        # platform has not seen yet), 401/429 and 5xx are tried again later.
        raise UploadError(f"HTTP {r.status_code} {data.get('status', '')}: {errors}".strip(),
                          rejected=r.status_code == 422)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()
