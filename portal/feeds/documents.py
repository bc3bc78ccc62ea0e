"""Atom 1.0 (RFC 4287) and sitemap (sitemaps.org 0.9) documents, built with ElementTree so that
every text is escaped and the output is always well-formed XML."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: xml:base, xml:lang
XML = "http://www.w3.org/XML/1998/namespace"


def rfc3339(value: datetime) -> str:
    """A stored time (naive UTC) as RFC 3339 with its zone, e.g. 2026-10-12T01:30:00Z."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Entry:
    id: str
    title: str
    url: str
    updated: datetime
    published: datetime | None = None
    author: str = ""
    author_url: str = ""
    categories: list[str] = field(default_factory=list)
    summary: str = ""
    content_html: str = ""


@dataclass
class Feed:
    id: str
    title: str
    self_url: str
    page_url: str          # the page on the site that shows the same items
    base_url: str          # xml:base: relative links inside the entries' HTML resolve against it
    lang: str
    generator: str
    entries: list[Entry]
    fallback_updated: datetime  # <updated> of a feed with no entries (Atom requires one)

    @property
    def updated(self) -> datetime:
        return max((e.updated for e in self.entries), default=self.fallback_updated)


def _text(parent, tag: str, text: str, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def atom(feed: Feed) -> bytes:
    # Plain tag names under a default namespace declared by hand (ElementTree would otherwise
    # write ns0: prefixes, or need a process-wide register_namespace).
    root = ET.Element("feed", {"xmlns": ATOM, f"{{{XML}}}lang": feed.lang, f"{{{XML}}}base": feed.base_url})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    _text(root, "updated", rfc3339(feed.updated))
    ET.SubElement(root, "link", {"rel": "self", "type": "application/atom+xml", "href": feed.self_url})
    ET.SubElement(root, "link", {"rel": "alternate", "type": "text/html", "href": feed.page_url})
    # A feed needs an author unless every entry has one; the platform is the feed's.
    author = ET.SubElement(root, "author")
    _text(author, "name", feed.generator)
    _text(root, "generator", feed.generator)
    for item in feed.entries:
        entry = ET.SubElement(root, "entry")
        _text(entry, "id", item.id)
        _text(entry, "title", item.title)
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": item.url})
        if item.published is not None:
            _text(entry, "published", rfc3339(item.published))
        _text(entry, "updated", rfc3339(item.updated))
        if item.author:
            person = ET.SubElement(entry, "author")
            _text(person, "name", item.author)
            if item.author_url:
                _text(person, "uri", item.author_url)
        for term in item.categories:
            ET.SubElement(entry, "category", {"term": term})
        if item.summary:
            _text(entry, "summary", item.summary, type="text")
        if item.content_html:
            _text(entry, "content", item.content_html, type="html")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@dataclass
class Location:
    url: str
    lastmod: datetime | None = None


def urlset(locations: list[Location]) -> bytes:
    root = ET.Element("urlset", {"xmlns": SITEMAP})
    for location in locations:
        url = ET.SubElement(root, "url")
        ET.SubElement(url, "loc").text = location.url
        if location.lastmod is not None:
            ET.SubElement(url, "lastmod").text = rfc3339(location.lastmod)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def sitemap_index(urls: list[str]) -> bytes:
    root = ET.Element("sitemapindex", {"xmlns": SITEMAP})
    for address in urls:
        ET.SubElement(ET.SubElement(root, "sitemap"), "loc").text = address
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
