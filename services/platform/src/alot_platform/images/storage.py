"""Where renditions are kept: one small interface, two backends.

- `LocalMediaStore` (default): files under ``<ALOT_VAR_DIR>/media/``, served by the
  platform itself at ``/media/<key>`` (images/endpoints.py).
- `S3MediaStore` (``ALOT_S3_BUCKET`` set): objects in an S3-compatible bucket, read by
  browsers from ``ALOT_S3_PUBLIC_BASE_URL``. Credentials come from boto3's standard chain
  (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an instance role), never
  from the platform's settings.

Keys are ``images/<image id>/<rendition>.webp``: an image id is never reused and a
rendition is written once, so whatever is stored under a key never changes and is
served with a year-long ``immutable`` cache.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol

from alot_platform.config import Settings

CACHE_CONTROL = "public, max-age=31536000, immutable"


class MediaStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (replacing nothing: keys are fresh)."""

    def delete(self, key: str) -> None:
        """Remove `key`; a missing key is not an error."""

    def url(self, key: str) -> str:
        """The absolute URL a browser reads `key` from."""


def _safe_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a media key: {key!r}")
    return key


class LocalMediaStore:
    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path | None:
        """The file of `key`, or None when `key` could leave the media folder."""
        try:
            _safe_key(key)
        except ValueError:
            return None
        root = self.root.resolve()
        candidate = (root / key).resolve()
        return candidate if candidate.is_relative_to(root) else None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        if path is None:
            raise ValueError(f"not a media key: {key!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
        partial.write_bytes(data)
        partial.replace(path)  # readers see the whole file or none

    def delete(self, key: str) -> None:
        path = self.path(key)
        if path is not None:
            path.unlink(missing_ok=True)

    def url(self, key: str) -> str:
        return f"{self.base_url}/{_safe_key(key)}"


class S3MediaStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str | None,
        public_base_url: str | None,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        if public_base_url:
            self.public_base_url = public_base_url.rstrip("/")
        elif endpoint_url:
            self.public_base_url = f"{endpoint_url.rstrip('/')}/{bucket}"
        else:
            self.public_base_url = f"https://{bucket}.s3.{region or 'us-east-1'}.amazonaws.com"
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """boto3's client, made on first use (boto3 clients are thread-safe)."""
        with self._lock:
            if self._client is None:
                import boto3  # only deployments that store in S3 pay for importing it

                self._client = boto3.client(
                    "s3", endpoint_url=self.endpoint_url, region_name=self.region
                )
            return self._client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=_safe_key(key),
            Body=data,
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_safe_key(key))

    def url(self, key: str) -> str:
        return f"{self.public_base_url}/{_safe_key(key)}"


def media_root(settings: Settings) -> Path:
    return settings.var_dir / "media"


def media_store_from_settings(settings: Settings) -> MediaStore:
    if settings.s3_bucket:
        return S3MediaStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            public_base_url=settings.s3_public_base_url,
        )
    return LocalMediaStore(media_root(settings), f"{settings.public_url.rstrip('/')}/media")
