"""The offline-assets step (tools/fetch_assets.py) and the extension that serves them (_ext/laaic_assets.py).

npm is replaced by a stand-in script that "packs" a small fake MathJax
tarball, so these tests need no network.
"""

import importlib.util
import io
import os
import stat
import sys
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch = load("tools/fetch_assets.py", "fetch_assets")


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """A PATH with an `npm` whose `pack` writes a small mathjax tarball; returns the tarball's path."""
    tgz = tmp_path / "src" / f"mathjax-{fetch.MATHJAX_VERSION}.tgz"
    tgz.parent.mkdir()
    with tarfile.open(tgz, "w:gz") as tar:
        for name, data in [
            ("package/LICENSE", b"Apache-2.0"),
            ("package/es5/tex-mml-chtml.js", b"// mathjax"),
            ("package/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff", b"font"),
            ("package/es5/tex-svg.js", b"// not needed"),
            ("package/ts/index.ts", b"// source"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path}/npm-calls"\ncp "{tgz}" .\n')
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tgz


def test_refuses_a_package_whose_hash_differs(fake_npm, tmp_path):
    with pytest.raises(SystemExit, match="SHA-512"):
        fetch.fetch_mathjax(tmp_path / "assets")
    assert not (tmp_path / "assets" / "mathjax").exists()


def test_unpacks_what_the_pages_need_once(fake_npm, tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "MATHJAX_SHA512", fetch.sha512_b64(fake_npm))
    target = fetch.fetch_mathjax(tmp_path / "assets")
    assert (target / "tex-mml-chtml.js").read_bytes() == b"// mathjax"
    assert (target / "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()
    assert (target / "LICENSE").is_file()
    assert not (target / "tex-svg.js").exists() and not (target / "ts").exists()
    assert (target / ".version").read_text().strip() == fetch.MATHJAX_VERSION
    assert (tmp_path / "npm-calls").read_text().split() == ["pack", f"mathjax@{fetch.MATHJAX_VERSION}", "--silent"]
    # a second run finds the pinned version and does not call npm again
    fetch.fetch_mathjax(tmp_path / "assets")
    assert len((tmp_path / "npm-calls").read_text().splitlines()) == 1


def test_without_npm_it_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit, match="npm is needed"):
        fetch.fetch_mathjax(tmp_path / "assets")


def test_refuses_a_file_as_destination(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SystemExit, match="is a file"):
        fetch.main(["--dest", str(f)])


def test_extension_serves_the_local_mathjax_or_warns(tmp_path, monkeypatch):
    sys.modules.pop("laaic_assets", None)
    ext = load("_ext/laaic_assets.py", "laaic_assets")
    warnings = []
    monkeypatch.setattr(ext.logger, "warning", lambda msg, **kw: warnings.append(msg))
    monkeypatch.setenv("LAAIC_ASSETS_DIR", str(tmp_path / "assets"))
    default = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
    config = SimpleNamespace(html_static_path=[], mathjax_path=default)
    app = SimpleNamespace(confdir=str(tmp_path))

    ext._use_local_assets(app, config)
    assert config.mathjax_path == default and config.html_static_path == []
    assert len(warnings) == 1 and "make assets" in warnings[0]

    (tmp_path / "assets" / "mathjax").mkdir(parents=True)
    (tmp_path / "assets" / "mathjax" / "tex-mml-chtml.js").write_text("//")
    ext._use_local_assets(app, config)
    assert config.mathjax_path == "mathjax/tex-mml-chtml.js"
    assert config.html_static_path == [str((tmp_path / "assets").resolve())]
    assert len(warnings) == 1
