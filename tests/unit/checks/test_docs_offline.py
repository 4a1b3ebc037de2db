"""make_offline: every CDN asset of the GX templates points at its vendored copy, at the
right depth; the S3 logo, the newsletter and the CORS attributes go; an unknown outside
asset is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.checks import docs_offline

PAGE = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"
 integrity="sha384-x" crossorigin="anonymous">
<link rel="icon" href="../static/images/favicon.ico">
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
</head><body>
<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1&dataContextId=abc">
<style>.navbar-brand a { background:
url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png') 0 0; }</style>
<footer><p>newsletter <a href="https://greatexpectations.io/newsletter">Subscribe</a></p></footer>
</body></html>"""


def _site(tmp_path: Path, page: str) -> Path:
    deep = tmp_path / "validations" / "suite" / "run"
    deep.mkdir(parents=True)
    (deep / "page.html").write_text(page)
    return tmp_path


def test_a_page_loads_its_assets_from_the_vendored_copies_at_its_depth(tmp_path):
    site = _site(tmp_path, PAGE)
    docs_offline.make_offline(site)
    text = (site / "validations" / "suite" / "run" / "page.html").read_text()
    assert 'href="../../../static/vendor/bootstrap@4.3.1/dist/css/bootstrap.min.css"' in text
    assert 'src="../../../static/vendor/vega@5.33.1/build/vega.min.js"' in text
    assert 'href="../../../static/images/favicon.ico"' in text  # GX wrote one '../' for three
    assert 'src="../../../static/images/logo-long.png"' in text
    for gone in ("https:", "integrity", "crossorigin", "newsletter", "dataContextId"):
        assert gone not in text
    assert (site / "static/vendor/bootstrap@4.3.1/dist/css/bootstrap.min.css").is_file()
    assert (site / "static/vendor/bootstrap@4.3.1/LICENSE").is_file()


def test_every_vendored_asset_is_shipped():
    for asset in docs_offline.assets():
        assert (docs_offline.VENDOR_DIR / asset.path).is_file(), asset.url


@pytest.mark.parametrize(
    "tag",
    [
        pytest.param('<script src="https://cdn.example.org/new.js"></script>', id="script"),
        pytest.param('<link rel="stylesheet" href="//fonts.example.org/a.css">', id="stylesheet"),
        pytest.param("<style>body { background: url('https://x.example.org/b.png') }</style>", id="css-url"),
    ],
)
def test_an_outside_asset_it_does_not_know_is_refused_in_one_line(tmp_path, tag):
    site = _site(tmp_path, f"<html><head>{tag}</head></html>")
    with pytest.raises(
        docs_offline.OfflineDocsError, match=r"^validations/suite/run/page.html: .*example\.org"
    ):
        docs_offline.make_offline(site)
