"""Local files as a source: HTML, Markdown, plain text and JSON in a folder.

This is what the engine's offline default reads (``config/samples/documents``).
``scan_directory`` is the only function here that touches the file system;
``parse_file`` is pure: bytes and a relative path in, a ParseResult out.

Markdown and text files may start with TOML front matter between two lines
that are exactly ``+++``. The keys it accepts are the ones JSON objects use:
see ``KNOWN_KEYS``. The guid defaults to the relative path (``path#index`` for
the objects of a JSON list), so the same file always gives the same item.
"""

from __future__ import annotations

import html
import json
import os
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from bs4 import Tag
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..domain import Attachment, ItemKind, ParsedEntry, ParseResult
from .page import (
    absolute_url,
    absolutize,
    absolutize_fragment,
    canonical_link,
    collect_attachments,
    element_text,
    guess_media_type,
    html_language,
    inner_html,
    meta_values,
    parse_html,
    strip_active,
)
from .vndate import DEFAULT_TZ, clean_text, parse_datetime

__all__ = ["KNOWN_KEYS", "SUFFIXES", "parse_file", "scan_directory"]

SUFFIXES = frozenset({".md", ".markdown", ".txt", ".html", ".htm", ".json"})
KNOWN_KEYS = frozenset(
    {
        "title",
        "summary",
        "url",
        "published",
        "updated",
        "language",
        "doc_number",
        "issuer",
        "kind",
        "author",
        "guid",
        "attachments",
    }
)
_JSON_BODY_KEYS = frozenset({"content", "text"})
_ATTACHMENT_KEYS = frozenset({"url", "media_type", "length", "title"})
_HTML_ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".xlsx", ".zip")
_FENCE = "+++"


def scan_directory(root: Path, *, max_bytes: int) -> tuple[list[tuple[str, Path]], list[str]]:
    """Files under ``root`` that ``parse_file`` reads, sorted by relative POSIX path.

    Hidden files and folders (name starting with ".") and other extensions are
    skipped silently. Files over ``max_bytes`` and symbolic links (which could
    lead outside ``root``) are skipped with a problem. Returns (files, problems),
    where each file is (relative POSIX path, path).
    """
    if not root.is_dir():
        return [], [f"{root}: not a directory; check the source's path"]
    files: list[tuple[str, Path]] = []
    problems: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        # os.walk does not descend into symlinked folders; hidden folders are pruned here.
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in SUFFIXES:
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                problems.append(f"{rel}: symbolic link skipped; copy the file into the folder instead")
                continue
            try:
                size = path.stat().st_size
            except OSError as e:
                problems.append(f"{rel}: cannot be read ({e.strerror or e})")
                continue
            if size > max_bytes:
                problems.append(f"{rel}: {size} bytes is over the limit of {max_bytes}; file skipped")
                continue
            files.append((rel, path))
    files.sort(key=lambda f: f[0])
    return files, sorted(problems)


def parse_file(body: bytes, *, relpath: str, language: str | None = None, tz: str = DEFAULT_TZ) -> ParseResult:
    """Parse one local file by its extension; problems name ``relpath``.

    ``language`` is the source's default; a language declared in the file wins.
    """
    suffix = PurePosixPath(relpath).suffix.lower()
    if suffix not in SUFFIXES:
        return ParseResult(entries=(), problems=(f"{relpath}: unsupported file type '{suffix}'",))
    if suffix in (".html", ".htm"):
        # HTML declares its own charset (<meta charset>), so it is decoded the way pages are.
        if not body.strip():
            return ParseResult(entries=(), problems=(f"{relpath}: empty file",))
        entry, found = _parse_html_file(body, relpath=relpath, language=language, tz=tz)
        return ParseResult(entries=(entry,) if entry else (), problems=tuple(found))
    text, problem = _decode(body)
    problems = [f"{relpath}: {problem}"] if problem else []
    if not text.strip():
        return ParseResult(entries=(), problems=(*problems, f"{relpath}: empty file"))
    entries: Sequence[ParsedEntry]
    if suffix == ".json":
        entries, found = _parse_json(text, relpath=relpath, language=language, tz=tz)
    else:
        entry, found = _parse_text_file(text, relpath=relpath, markdown=suffix != ".txt", language=language, tz=tz)
        entries = (entry,) if entry else ()
    return ParseResult(entries=tuple(entries), problems=(*problems, *found))


def _decode(body: bytes) -> tuple[str, str | None]:
    """UTF-8 (BOM or not) as NFC text; a file that is not UTF-8 is read as windows-1258 with a problem."""
    try:
        text = body.decode("utf-8-sig")
        problem = None
    except UnicodeDecodeError as e:
        text = body.decode("cp1258", errors="replace")
        problem = f"not UTF-8 (byte {e.start}); read as windows-1258 — save the file as UTF-8"
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")), problem


def _split_front_matter(text: str) -> tuple[str | None, str]:
    """(front matter, rest) when ``text`` opens with a ``+++`` line; raises ValueError if never closed."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != _FENCE:
        return None, text
    for i in range(1, len(lines)):
        if lines[i].rstrip() == _FENCE:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :])
    raise ValueError("front matter opened with '+++' is never closed by a second '+++' line")


def _parse_text_file(
    text: str, *, relpath: str, markdown: bool, language: str | None, tz: str
) -> tuple[ParsedEntry | None, list[str]]:
    try:
        front, rest = _split_front_matter(text)
        fields: dict[str, Any] = tomllib.loads(front) if front is not None else {}
    except (ValueError, tomllib.TOMLDecodeError) as e:
        return None, [f"{relpath}: malformed TOML front matter: {e}"]
    need_title = not _has_title(fields)
    if markdown:
        heading, content = _render_markdown(rest, take_heading=need_title,
                                            known_title=None if need_title else str(fields["title"]))
    else:
        # The first line is only a title when the front matter gives none.
        heading, content = _render_text(rest, title_from_first_line=need_title)
    return _entry_from_fields(
        fields,
        label=relpath,
        default_guid=relpath,
        content=content,
        fallback_title=heading,
        language=language,
        tz=tz,
    )


def _has_title(fields: Mapping[str, Any]) -> bool:
    return isinstance(fields.get("title"), str) and bool(fields["title"].strip())


def _render_markdown(
    source: str, *, take_heading: bool, known_title: str | None = None
) -> tuple[str | None, str | None]:
    """(text of the first ``#`` heading, HTML of the rest) when ``take_heading``, else (None, HTML).

    A heading taken as the title is removed from the body so it does not show twice; so is a
    first heading that only repeats the title the front matter gives.
    """
    # A fresh parser per call: MarkdownIt objects are mutable and must not be shared state.
    md = MarkdownIt("commonmark", {"html": False})
    tokens = md.parse(source)
    heading = None
    for i, tok in enumerate(tokens if take_heading or known_title else ()):
        if tok.type == "heading_open" and tok.tag == "h1" and tok.markup == "#" and tok.map:
            text = _inline_text(tokens[i + 1])
            repeats = known_title is not None and " ".join(text.split()).casefold() == " ".join(
                known_title.split()).casefold()
            if take_heading or repeats:
                heading = text if take_heading else None
                lines = source.split("\n")
                source = "\n".join(lines[: tok.map[0]] + lines[tok.map[1] :])
            break
    if take_heading and not heading:
        # No "# " heading: the first line of text (not of a code block) stands in, and stays in the body.
        heading = next(
            (t.split("\n")[0] for t in (_inline_text(tok) for tok in tokens if tok.type == "inline") if t),
            None,
        )
    rendered = md.render(source).strip()
    return heading or None, rendered or None


def _inline_text(token: Token) -> str:
    """Plain text of an inline token (emphasis and code marks dropped), first line kept apart."""
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "\n".join(clean_text(line) for line in "".join(parts).split("\n")).strip()


def _render_text(source: str, *, title_from_first_line: bool) -> tuple[str | None, str | None]:
    """(first line as title or None, the paragraphs as escaped ``<p>`` HTML)."""
    lines = source.split("\n")
    title = None
    if title_from_first_line:
        while lines and not lines[0].strip():
            lines.pop(0)
        if lines:
            title = clean_text(lines.pop(0)) or None
    paragraphs = [clean_text(p) for p in "\n".join(lines).split("\n\n")]
    content = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs if p)
    return title, content or None


def _parse_html_file(
    body: bytes, *, relpath: str, language: str | None, tz: str
) -> tuple[ParsedEntry | None, list[str]]:
    soup = parse_html(body)
    problems: list[str] = []
    meta = meta_values(soup)
    title = ""
    for candidate in (soup.find("title"), soup.find("h1")):
        if isinstance(candidate, Tag) and not title:
            title = element_text(candidate)
    if not title:
        return None, [f"{relpath}: no <title> or <h1>; file skipped"]
    canonical = canonical_link(soup, None)
    if canonical is None and soup.find("link", rel="canonical"):
        problems.append(f"{relpath}: canonical link is not an absolute http(s) URL; ignored")
    base_tag = soup.find("base", href=True)
    base = absolute_url(str(base_tag["href"]), None) if isinstance(base_tag, Tag) else None
    base = base or canonical

    container = soup.find("article") or soup.find("main") or soup.find("body")
    content = None
    attachments: tuple[Attachment, ...] = ()
    if isinstance(container, Tag):
        strip_active(container)
        absolutize(container, base)
        content = inner_html(container) or None
        links = [
            a
            for a in container.find_all("a", href=True)
            if isinstance(a, Tag)
            and str(a["href"]).split("?")[0].split("#")[0].lower().endswith(_HTML_ATTACHMENT_SUFFIXES)
        ]
        attachments = collect_attachments(links, base)
        skipped = [str(a["href"]) for a in links if absolute_url(str(a["href"]), base) is None]
        problems.extend(
            f"{relpath}: attachment link '{h}' is relative and the page has no canonical URL; skipped" for h in skipped
        )

    published_raw = meta.get("article:published_time") or meta.get("dc.date")
    if not published_raw:
        time_el = soup.find("time", datetime=True)
        published_raw = str(time_el["datetime"]) if isinstance(time_el, Tag) else None
    fields: dict[str, Any] = {
        "title": title,
        "summary": meta.get("description"),
        "published": published_raw,
        "updated": meta.get("article:modified_time"),
        "language": html_language(soup),
        "doc_number": meta.get("document-number"),
        "issuer": meta.get("issuer"),
        "kind": meta.get("kind"),
        "author": meta.get("author"),
    }
    entry, found = _entry_from_fields(
        {k: v for k, v in fields.items() if v},
        label=relpath,
        default_guid=relpath,
        content=content,
        fallback_title=None,
        language=language,
        tz=tz,
    )
    if entry is not None:
        entry = replace(entry, url=canonical, attachments=attachments)
    return entry, problems + found


def _parse_json(text: str, *, relpath: str, language: str | None, tz: str) -> tuple[list[ParsedEntry], list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return [], [f"{relpath}: not valid JSON at line {e.lineno} column {e.colno}: {e.msg}"]
    single = isinstance(data, dict)
    records = [data] if single else data
    if not isinstance(records, list):
        return [], [f"{relpath}: expected a JSON object or a list of objects, found {type(data).__name__}"]
    if not records:
        return [], [f"{relpath}: the JSON list is empty; nothing to publish"]
    entries: list[ParsedEntry] = []
    problems: list[str] = []
    for i, record in enumerate(records):
        label = relpath if single else f"{relpath}[{i}]"
        if not isinstance(record, dict):
            problems.append(f"{label}: expected an object, found {type(record).__name__}; skipped")
            continue
        fields = {k: v for k, v in record.items() if k not in _JSON_BODY_KEYS}
        content, problem = _json_content(record)
        if problem:
            problems.append(f"{label}: {problem}")
        entry, found = _entry_from_fields(
            fields,
            label=label,
            default_guid=relpath if single else f"{relpath}#{i}",
            content=content,
            fallback_title=None,
            language=language,
            tz=tz,
        )
        problems.extend(found)
        if entry is not None:
            entries.append(entry)
    return entries, problems


def _json_content(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """HTML from ``content`` (HTML) or else ``text`` (plain, made into paragraphs)."""
    content, text = record.get("content"), record.get("text")
    if content is not None and not isinstance(content, str):
        return None, "'content' must be a string of HTML; ignored"
    if content and content.strip():
        return unicodedata.normalize("NFC", content).strip(), None
    if text is not None and not isinstance(text, str):
        return None, "'text' must be a string; ignored"
    if text:
        return _render_text(unicodedata.normalize("NFC", text), title_from_first_line=False)[1], None
    return None, None


def _entry_from_fields(
    fields: Mapping[str, Any],
    *,
    label: str,
    default_guid: str,
    content: str | None,
    fallback_title: str | None,
    language: str | None,
    tz: str,
) -> tuple[ParsedEntry | None, list[str]]:
    """A ParsedEntry from front-matter-style fields; problems are prefixed with ``label``."""
    problems = [
        f"{label}: unknown key '{k}' ignored; known keys: {', '.join(sorted(KNOWN_KEYS))}"
        for k in sorted(set(fields) - KNOWN_KEYS)
    ]
    text: dict[str, str | None] = {}
    for key in ("title", "summary", "url", "language", "doc_number", "issuer", "kind", "author", "guid"):
        value = fields.get(key)
        if value is None:
            text[key] = None
        elif isinstance(value, str):
            text[key] = clean_text(value) or None
        else:
            problems.append(f"{label}: '{key}' must be a string, found {type(value).__name__}; ignored")
            text[key] = None
    title = text["title"] or fallback_title
    if not title:
        return None, [*problems, f"{label}: missing title"]

    url = text["url"]
    if url and absolute_url(url, None) is None:
        problems.append(f"{label}: url '{url}' is not an absolute http(s) URL; ignored")
        url = None
    if url and content and ("href=" in content or "src=" in content):
        # Links written relative to where the document is published only work in feeds once absolute.
        content = absolutize_fragment(content, url)
    kind = None
    if text["kind"]:
        try:
            kind = ItemKind(text["kind"].lower())
        except ValueError:
            problems.append(f"{label}: kind '{text['kind']}' is not one of document, task, news; ignored")
    published = _field_datetime(fields, "published", label=label, tz=tz, problems=problems)
    updated = _field_datetime(fields, "updated", label=label, tz=tz, problems=problems)
    attachments = _field_attachments(fields.get("attachments"), label=label, problems=problems)
    entry = ParsedEntry(
        title=title,
        guid=text["guid"] or default_guid,
        url=url,
        # Summaries are HTML fragments in ParsedEntry; front matter holds plain text.
        summary=html.escape(text["summary"], quote=False) if text["summary"] else None,
        content=content,
        published=published,
        updated=updated,
        language=text["language"] or language,
        author=text["author"],
        doc_number=text["doc_number"],
        issuer=text["issuer"],
        attachments=attachments,
        kind=kind,
    )
    return entry, problems


def _field_datetime(
    fields: Mapping[str, Any], key: str, *, label: str, tz: str, problems: list[str]
) -> datetime | None:
    """A date field as aware UTC: TOML datetimes and dates, or strings in any vndate format."""
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))
        return aware.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    if isinstance(value, str):
        parsed = parse_datetime(value, tz=tz)
        if parsed is None:
            problems.append(f"{label}: {key} '{value[:80]}' is not a date we can read; ignored")
        return parsed
    problems.append(f"{label}: {key} must be a date or a string, found {type(value).__name__}; ignored")
    return None


def _field_attachments(value: Any, *, label: str, problems: list[str]) -> tuple[Attachment, ...]:
    """Attachments from an array of tables {url, media_type, length, title}; bad ones are skipped."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(f"{label}: attachments must be a list of tables; ignored")
        return ()
    found: list[Attachment] = []
    for i, item in enumerate(value):
        where = f"{label}: attachments[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where} must be a table with a url; skipped")
            continue
        unknown = sorted(set(item) - _ATTACHMENT_KEYS)
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(unknown)} ignored")
        raw_url = item.get("url")
        url = absolute_url(raw_url, None) if isinstance(raw_url, str) else None
        if url is None:
            problems.append(f"{where}: url {raw_url!r} is not an absolute http(s) URL; skipped")
            continue
        media_type = item.get("media_type")
        length = item.get("length")
        title = item.get("title")
        if length is not None and (isinstance(length, bool) or not isinstance(length, int) or length < 0):
            problems.append(f"{where}: length must be a whole number of bytes; ignored")
            length = None
        found.append(
            Attachment(
                url=url,
                media_type=media_type if isinstance(media_type, str) and media_type else guess_media_type(url),
                length=length,
                title=clean_text(title) or None if isinstance(title, str) else None,
            )
        )
    return tuple(found)
