"""Fetch the JavaScript that the HTML book serves itself, so that it reads offline.

The built pages load nothing from other hosts. The one library they need
from outside the Python environment is MathJax 3 (the equations); it comes
from the npm registry with npm's own client (``npm pack``), pinned to one
version and checked against a pinned SHA-512, and is unpacked into
``_assets/mathjax`` (or ``--dest``). The Sphinx extension
``_ext/laaic_assets.py`` copies that folder into the site's ``_static`` and
points MathJax there. The other CDN files Jupyter Book would load are not
needed: the animation players use text buttons instead of Font Awesome, and
no page embeds live widgets, so require.js and the widget manager are off
(see ``_config.yml``).

Run by ``make assets`` (and so by ``make book``, ``make book-quick`` and
``make test``). Re-running it is cheap: it does nothing when the pinned
version is already there. A ``--dest`` that is a file, cannot be written, or lies in
``book/``, ``helpers/`` or the dataset mirror (``$LAAIC_DATA_ROOT``) is refused before
anything is fetched.

    python tools/fetch_assets.py [--dest _assets]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapters import ROOT, OutputError, check_writable_folder, path_argument, refuse_protected, what_is  # noqa: E402

MATHJAX_VERSION = "3.2.2"
# `npm view mathjax@3.2.2 dist.integrity`
MATHJAX_SHA512 = "Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
# The component the pages load, and what it loads on demand: TeX extensions
# (autoload), the CHTML fonts, the menu, accessibility and speech.
MATHJAX_ENTRY = "tex-mml-chtml.js"
MATHJAX_KEEP = (MATHJAX_ENTRY, "input/", "output/chtml/", "output/chtml.js", "ui/", "a11y/", "sre/", "adaptors/")


def sha512_b64(path: Path) -> str:
    return base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def check_dest(dest: Path) -> None:
    """Refuse, before anything is fetched or written, a ``dest`` the assets cannot or must not go to.

    ``dest`` must be a writable folder or one that can be created, outside the folders the tools only read
    (the book's and the helpers package's source folders, the dataset mirror ``$LAAIC_DATA_ROOT``), and
    ``dest/mathjax``, when there, a folder (it is replaced)."""
    dest = Path(dest)
    hint = f"pass another folder with --dest (the default is {ROOT / '_assets'})"
    if os.path.lexists(dest) and not dest.is_dir():
        raise SystemExit(f"fetch_assets: error: --dest {dest} is {what_is(dest)}; give a folder.")
    target = dest / "mathjax"
    try:
        refuse_protected(dest, "the assets into", hint)
        refuse_protected(target, "the assets into", hint)
        check_writable_folder(dest, "the assets folder", hint)
        if os.path.lexists(target) and not target.is_dir():
            raise OutputError(f"{target} exists and is not a folder, so MathJax cannot be unpacked there; move it away")
        if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
            raise OutputError(f"the folder {target} is not writable; {hint}")
    except OutputError as err:
        raise SystemExit(f"fetch_assets: error: {err}") from None


def fetch_mathjax(dest: Path) -> Path:
    """Unpack the pinned MathJax into ``dest/mathjax`` unless that version is already there.

    The package is unpacked into a hidden folder inside ``dest`` and then renamed into place, so
    ``dest/mathjax`` is at every moment either the earlier copy or the complete new one."""
    dest = Path(dest)
    check_dest(dest)
    target = dest / "mathjax"
    stamp = target / ".version"
    if stamp.is_file() and stamp.read_text().strip() == MATHJAX_VERSION and (target / MATHJAX_ENTRY).is_file():
        print(f"MathJax {MATHJAX_VERSION} already in {target}")
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "npm is needed to fetch MathJax for the offline book: install Node.js and npm "
            "(Debian: sudo apt-get install npm), then run `make assets` again."
        )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run(
            [npm, "pack", f"mathjax@{MATHJAX_VERSION}", "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL
        )
        tgz = tmp / f"mathjax-{MATHJAX_VERSION}.tgz"
        if not tgz.is_file():
            raise SystemExit(f"npm pack did not produce {tgz.name}; check that the npm registry is reachable.")
        got = sha512_b64(tgz)
        if got != MATHJAX_SHA512:
            raise SystemExit(
                f"mathjax-{MATHJAX_VERSION}.tgz has SHA-512 {got}, expected {MATHJAX_SHA512}; refusing to use it."
            )
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".mathjax-new-", dir=dest))
        old = dest / f".mathjax-old-{os.getpid()}"
        try:
            with tarfile.open(tgz) as tar:
                prefix = "package/es5/"
                members = [
                    m
                    for m in tar.getmembers()
                    if m.isfile()
                    and m.name.startswith(prefix)
                    and m.name[len(prefix) :].startswith(MATHJAX_KEEP)
                    and ".." not in Path(m.name).parts
                ]
                for m in members:
                    out = staging / m.name[len(prefix) :]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(tar.extractfile(m).read())
                licence = tar.extractfile("package/LICENSE").read()
            (staging / "LICENSE").write_bytes(licence)
            (staging / ".version").write_text(MATHJAX_VERSION + "\n")
            if not (staging / MATHJAX_ENTRY).is_file():
                raise SystemExit(f"the MathJax package has no es5/{MATHJAX_ENTRY}")
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; give it the usual permissions
            shutil.rmtree(old, ignore_errors=True)
            if target.exists():
                os.replace(target, old)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
    n = sum(1 for p in target.rglob("*") if p.is_file())
    print(f"MathJax {MATHJAX_VERSION}: {n} files in {target}")
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dest", type=path_argument, default=ROOT / "_assets", help="folder for the assets (default: _assets)"
    )
    args = parser.parse_args(argv)
    check_dest(args.dest)
    fetch_mathjax(args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
