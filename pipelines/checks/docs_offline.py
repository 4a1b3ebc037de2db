"""Data Docs that open with no network: every asset local, nothing sent out.

Great Expectations' Data Docs templates load their scripts, styles and fonts from six
CDNs, show a logo from GX's S3 bucket whose address carries the data context id and the
time of rendering (a request telling an outside server when someone opened a report)
and a newsletter footer. Offline, as in a research enclave, the index then shows no
list of validations (drawn by bootstrap-table) and the pages no styles.

`make_offline(site)` rewrites a rendered site in place: each CDN address of
`data_docs_vendor/SOURCES.toml` becomes the relative path of the copy vendored from the
package's own npm release (copied to `static/vendor/`, licences included), the S3 logo
becomes GX's own local copy, the dark theme's S3 background is dropped, the tags'
integrity and crossorigin attributes (which make Chromium refuse a file) go, and so
does the footer; links to the site's own static files get the right number of '../'.
Any address to another host left in a `src`, a stylesheet `href` or a CSS `url()`
afterwards is a renderer change this module does not know (a GX upgrade):
`OfflineDocsError` names it in one line rather than ship a page that calls out.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.errors import CohortscanError

VENDOR_DIR = Path(__file__).resolve().parent / "data_docs_vendor"
SITE_VENDOR = Path("static") / "vendor"
LOCAL_LOGO = Path("static") / "images" / "logo-long.png"
_S3_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"']*/logo-long\.png[^\"']*")
_S3_URL = re.compile(r"url\(\s*['\"]?https://great-expectations-web-assets\.s3[^)]*\)")
# A link to the site's own static folder, with however many '../' the renderer wrote (it
# writes one too few on validation pages, 4 folders deep: their favicon is not found).
_STATIC_LINK = re.compile(r"""(\b(?:src|href)\s*=\s*["'])(?:\./|(?:\.\./)+)?static/""")
_FOOTER = re.compile(r"<footer>.*?</footer>", re.DOTALL)
# Subresource-integrity and CORS attributes of the CDN tags: a page opened from disk has
# an opaque origin, so Chromium refuses a `crossorigin` script from a file (the copies are
# the same releases; their integrity is recorded as the tarballs' sha256 in SOURCES.toml).
_CORS_ATTRIBUTES = re.compile(r"""\s+(?:integrity|crossorigin)\s*=\s*["'][^"']*["']""")
_REMOTE = re.compile(
    r"""(?:\bsrc\s*=\s*["']|<link\b[^>]*\bhref\s*=\s*["']|url\(\s*["']?)((?:https?:)?//[^"')\s]+)""",
    re.IGNORECASE,
)


class OfflineDocsError(CohortscanError):
    """A Data Docs page still loads something from another host."""


@dataclass(frozen=True)
class Asset:
    """One CDN address of the GX templates and its vendored copy."""

    url: str
    path: str


@cache
def assets() -> tuple[Asset, ...]:
    """The CDN addresses GX's templates use, longest first (so that no address is
    replaced inside a longer one)."""
    with (VENDOR_DIR / "SOURCES.toml").open("rb") as handle:
        entries = tomllib.load(handle)["asset"]
    return tuple(
        sorted((Asset(e["url"], e["path"]) for e in entries), key=lambda a: len(a.url), reverse=True)
    )


def make_offline(site: Path) -> list[Path]:
    """Rewrite every HTML and CSS file of the Data Docs site at `site` to load only local
    files (see the module docstring); return the files rewritten."""
    shutil.copytree(VENDOR_DIR, site / SITE_VENDOR, dirs_exist_ok=True)
    (site / SITE_VENDOR / "SOURCES.toml").unlink(missing_ok=True)
    shutil.copy2(VENDOR_DIR / "SOURCES.toml", site / SITE_VENDOR / "SOURCES.toml")
    changed = []
    for page in sorted([*site.rglob("*.html"), *(site / "static" / "styles").glob("*.css")]):
        text = page.read_text(encoding="utf-8")
        local = _rewrite(text, _relative_root(site, page))
        leftover = _REMOTE.search(local)
        if leftover:
            raise OfflineDocsError(
                f"{page.relative_to(site)}: Data Docs would load {leftover.group(1)} from another host "
                "(expected every asset in data_docs_vendor/SOURCES.toml)"
            )
        if local != text:
            page.write_text(local, encoding="utf-8")
            changed.append(page)
    return changed


def _relative_root(site: Path, page: Path) -> str:
    """'../' repeated up to the site root from `page`'s folder ('' at the root)."""
    return "../" * (len(page.relative_to(site).parts) - 1)


def _rewrite(text: str, root: str) -> str:
    for asset in assets():
        text = text.replace(asset.url, f"{root}{(SITE_VENDOR / asset.path).as_posix()}")
    text = _S3_LOGO.sub(f"{root}{LOCAL_LOGO.as_posix()}", text)
    text = _S3_URL.sub("none", text)
    text = _CORS_ATTRIBUTES.sub("", text)
    text = _STATIC_LINK.sub(lambda m: f"{m.group(1)}{root}static/", text)
    return _FOOTER.sub("", text)
