"""The WARC file of one capture (written with warcio): what was asked, what came back, what the monitor read.

A checked capture is a `request` record (the request line and the headers the monitor sends; cookie values are
never stored, so never exported) and a `response` record (the status, the response headers the check kept and
the body as received), then a `conversion` record (the extracted text, referring to the response) and a
`metadata` record (the check record). An imported version has no HTTP exchange: its capture (an HTML file) or
its text is a `resource` record naming its source.

The body is stored decoded from any Content-Encoding (as the fetcher read it): that header is kept as
`X-Archive-Orig-Content-Encoding`, and Content-Length is the length of the body as stored (the length the
server sent, when it differs, is kept as `X-Archive-Orig-Content-Length`), so any WARC reader reads the body
as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from monitor.extract.signature import is_pdf
from monitor.models import CheckRecord

_RENAMED = ("content-encoding", "transfer-encoding")


def build_warc(
    record: CheckRecord,
    raw: bytes | None,
    text: bytes,
    record_json: str,
    software: str,
    parts: Sequence[tuple[str, bytes]] = (),
) -> bytes:
    """The WARC (gzip members, one per record) of `record`'s capture, its text and the record itself.
    `parts`: a combined document's pages as (URL, raw capture), in order: one request and one response
    record each, and the text converted from all of them."""
    out = BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    date = record.time
    key = f"privacy-monitor:{record.page}:{record.time}:{record.raw_sha256}:{record.text_sha256}"
    uri = target_uri(record)
    info = f"software: {software}\nformat: WARC File Format 1.1\npage: {record.page}\n".encode()
    writer.write_record(
        writer.create_warc_record(
            "", "warcinfo", payload=BytesIO(info), length=len(info), warc_content_type="application/warc-fields",
            warc_headers_dict=_headers(key, "warcinfo", date),
        )
    )  # fmt: skip
    refers = _id(key, "response")
    if parts:
        for number, (url, body) in enumerate(parts, 1):
            part_key = f"{key}:part-{number}"
            writer.write_record(_request(writer, record, part_key, url))
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=BytesIO(body), length=len(body),
                    http_headers=StatusAndHeaders("200 OK", [("Content-Length", str(len(body)))], protocol="HTTP/1.1"),
                    warc_headers_dict=_headers(part_key, "response", date)
                    | {"WARC-Concurrent-To": _id(part_key, "request")},
                )
            )  # fmt: skip
        refers = _id(f"{key}:part-1", "response")
        raw = raw if raw is not None else b""  # the conversion below is of all the parts
    elif record.source is None and raw is not None:
        writer.write_record(_request(writer, record, key))
        response = writer.create_warc_record(
            uri, "response", payload=BytesIO(raw), length=len(raw),
            http_headers=_response_headers(record, len(raw)),
            warc_headers_dict=_headers(key, "response", date) | {"WARC-Concurrent-To": _id(key, "request")},
        )  # fmt: skip
        writer.write_record(response)
    else:  # imported history: the capture, or without one the text, is the resource the others refer to
        refers = _id(key, "resource")
        if raw is not None:
            kind = "application/pdf" if is_pdf(raw) else "text/html"
            writer.write_record(_resource(writer, record, key, raw, kind))
        else:
            writer.write_record(_resource(writer, record, key, text, "text/markdown; charset=utf-8"))
    if raw is not None:
        writer.write_record(
            writer.create_warc_record(
                uri, "conversion", payload=BytesIO(text), length=len(text),
                warc_content_type="text/markdown; charset=utf-8",
                warc_headers_dict=_headers(key, "conversion", date) | {"WARC-Refers-To": refers},
            )
        )  # fmt: skip
    data = record_json.encode("utf-8")
    writer.write_record(
        writer.create_warc_record(
            uri, "metadata", payload=BytesIO(data), length=len(data), warc_content_type="application/json",
            warc_headers_dict=_headers(key, "metadata", date) | {"WARC-Refers-To": refers},
        )
    )  # fmt: skip
    return out.getvalue()


def _request(writer: WARCWriter, record: CheckRecord, key: str, url: str | None = None) -> Any:
    url = url or record.url
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc), *record.request_headers.items()]
    http = StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)
    return writer.create_warc_record(
        url, "request", http_headers=http,
        warc_headers_dict=_headers(key, "request", record.time) | {"WARC-Concurrent-To": _id(key, "response")},
    )  # fmt: skip


def _response_headers(record: CheckRecord, length: int) -> StatusAndHeaders:
    status = record.status or 200
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    headers = []
    for name, value in record.headers.items():
        lowered = name.lower()
        if lowered in _RENAMED:
            headers.append((f"X-Archive-Orig-{name}", value))
        elif lowered == "content-length":
            if value.strip() != str(length):
                headers.append((f"X-Archive-Orig-{name}", value))
        else:
            headers.append((name, value))
    headers.append(("Content-Length", str(length)))
    return StatusAndHeaders(f"{status} {phrase}".strip(), headers, protocol="HTTP/1.1")


def _resource(writer: WARCWriter, record: CheckRecord, key: str, data: bytes, content_type: str) -> Any:
    source = record.source or {}
    extra = {"WARC-Source-URI": _source_uri(source)} if source else {}
    return writer.create_warc_record(
        target_uri(record), "resource", payload=BytesIO(data), length=len(data), warc_content_type=content_type,
        warc_headers_dict=_headers(key, "resource", record.time) | extra,
    )  # fmt: skip


def target_uri(record: CheckRecord) -> str:
    """What the capture is of: the address fetched, for an imported capture the one its source names (OTA's
    records say where they fetched it), else the source itself; never the page's address in today's config."""
    source = record.source
    if source is None or source.get("kind") == "rules":
        return record.final_url or record.url
    return str(source.get("address") or _source_uri(source))


def _source_uri(source: dict[str, Any]) -> str:
    if source.get("kind") == "rules":  # a technical version: a stored capture extracted under other rules
        return f"rules:{source.get('id')}"
    if source.get("kind") == "git":
        return f"git:{source.get('id')}:{source.get('path')}"
    return f"file:{source.get('file')}#sha256={source.get('id')}"


def _headers(key: str, kind: str, date: str) -> dict[str, str]:
    return {"WARC-Record-ID": _id(key, kind), "WARC-Date": date}


def _id(key: str, kind: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{key}:{kind}')}>"
