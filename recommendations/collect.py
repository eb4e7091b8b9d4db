"""Collecting forces' returns from the web: each force publishes its return in the open format
at an address, and the national deployment fetches it and takes it in (services.take_return).

The address's ETag and Last-Modified are kept (CollectedSource) and sent back next time, so a
return that has not changed costs a "304 Not Modified"; a body identical to the last one taken
in is not taken in again either. A fetch that fails (the network, a status other than 200, a
body too large or not JSON, a refused return) is reported for that address alone. Redirects
are not followed: a 3xx is a failure naming where it points, so the operator collects from
that address instead. `timeout` bounds each read and the whole download.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3
from django.contrib.auth.models import AbstractBaseUser

from . import services
from .exports.open_format import CONTENT_TYPE
from .models import CollectedSource, Report
from .services.collation import ReturnRefused

TIMEOUT_SECONDS = 20.0
MAX_BYTES = 5 * 1024 * 1024
USER_AGENT = "action-plan-tracker (collecting returns)"
NOT_JSON_DEEP = "not a JSON return (nested too deeply)"


@dataclass(frozen=True)
class Collected:
    """What fetching one address came to: one line for the person running the collection."""

    url: str
    ok: bool
    line: str


class FetchFailed(Exception):
    """The address did not give a return to take in; the message says why."""


def _fetch(
    url: str, *, headers: dict[str, str], timeout: float, max_bytes: int
) -> requests.Response:
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchFailed("only http:// and https:// addresses are collected")
    try:
        response = requests.get(
            url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        )
    except requests.RequestException as error:
        raise FetchFailed(f"could not be fetched ({type(error).__name__}: {error})") from None
    with response:
        if response.status_code == 304:
            return response
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location", "")
            where = f"to {location}" if location else "with no Location"
            raise FetchFailed(
                f"answered HTTP {response.status_code} {response.reason or ''}, redirecting "
                f"{where}: redirects are not followed; collect from that address instead"
            )
        if response.status_code != 200:
            raise FetchFailed(f"answered HTTP {response.status_code} {response.reason or ''}")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchFailed(f"is {int(declared)} bytes; the limit is {max_bytes}")
        body = b""
        deadline = time.monotonic() + timeout
        try:
            # read1: whatever has arrived, so a body sent a byte at a time meets the deadline
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchFailed(f"is larger than the limit of {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise FetchFailed(f"took longer than {timeout:g} seconds to download")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            raise FetchFailed(f"broke off ({type(error).__name__}: {error})") from None
        response._content = body
    return response


def fetch_json(url: str, *, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES):
    """The JSON at `url`, fetched afresh; FetchFailed saying why when there is none."""
    headers = {"Accept": CONTENT_TYPE, "User-Agent": USER_AGENT}
    response = _fetch(url, headers=headers, timeout=timeout, max_bytes=max_bytes)
    try:
        return json.loads(response.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FetchFailed(f"is not JSON ({error})") from None
    except RecursionError:
        raise FetchFailed(f"is {NOT_JSON_DEEP}") from None


def collect(
    url: str,
    *,
    report: Report,
    by: AbstractBaseUser | None,
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> Collected:
    """Fetch one address and take its return in, unless it is unchanged since last time."""
    known = CollectedSource.objects.filter(url=url).select_related("organisation").first()
    if known is not None and known.report_id != report.pk:
        known = None  # collected for another report before: ask for it afresh
    who = f"{known.organisation}: " if known is not None and known.organisation else ""
    headers = {"Accept": CONTENT_TYPE, "User-Agent": USER_AGENT}
    if known is not None and known.body_sha256:
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
    try:
        response = _fetch(url, headers=headers, timeout=timeout, max_bytes=max_bytes)
    except FetchFailed as error:
        return Collected(url, False, f"{url}: {who}failed: {error}")
    validators = {
        "etag": response.headers.get("ETag", ""),
        "last_modified": response.headers.get("Last-Modified", ""),
    }
    if response.status_code == 304:
        services.remember_fetch(url=url, report=report, **validators)
        return Collected(url, True, f"{url}: {who}unchanged (304)")
    body = response.content
    digest = hashlib.sha256(body).hexdigest()
    if known is not None and known.body_sha256 == digest:
        services.remember_fetch(url=url, report=report, **validators)
        return Collected(url, True, f"{url}: {who}unchanged")
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        return Collected(url, False, f"{url}: {who}failed: not a JSON return ({error})")
    except RecursionError:
        return Collected(url, False, f"{url}: {who}failed: {NOT_JSON_DEEP}")
    try:
        # An address that gave one force's return before must not bring another's.
        expected = known.organisation if known is not None else None
        outcome = services.take_return(
            document=document, report=report, by=by, source=url, organisation=expected
        )
    except ReturnRefused as refused:
        # Each message names the force and the row already.
        return Collected(url, False, f"{url}: refused: " + " | ".join(refused.first(20)))
    services.remember_fetch(
        url=url, report=report, organisation=outcome.organisation, body_sha256=digest, **validators
    )
    return Collected(url, True, f"{url}: {outcome}")
