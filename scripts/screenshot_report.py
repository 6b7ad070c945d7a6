"""Screenshot a fitbench HTML report in headless Chromium, to check it opens offline and shows
every picture. Not a test: it needs Chromium (Debian: ``apt-get install chromium``).

    python scripts/screenshot_report.py runs/<run>/report.html report.png [--height 6000]

Besides the PNG it prints how many <img> the file embeds, whether any reference leaves the
file (http/https URLs), and how many images the browser actually decoded (via --dump-dom
after a script marks each image's naturalWidth).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("no chromium on PATH; install it with `apt-get install chromium`")


def decoded_images(browser: str, report: Path) -> tuple[int, int]:
    """(images in the page, images the browser decoded), read back from the rendered DOM."""
    marker = ("<script>window.addEventListener('load',()=>{const i=[...document.images];"
              "document.body.setAttribute('data-decoded',i.filter(x=>x.naturalWidth>0).length+'/'+i.length);});"
              "</script></body>")
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe.html"
        probe.write_text(report.read_text(encoding="utf-8").replace("</body>", marker, 1), encoding="utf-8")
        dom = subprocess.run([browser, *FLAGS, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'data-decoded="(\d+)/(\d+)"', dom)
    return (int(found.group(2)), int(found.group(1))) if found else (0, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=6000)
    args = parser.parse_args()
    html = args.report.read_text(encoding="utf-8")
    browser = chromium()
    external = re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    print(f"{args.report}: {len(html):,} bytes, {html.count('<img ')} embedded images, "
          f"references leaving the file: {len(external)}")
    subprocess.run([browser, *FLAGS, f"--screenshot={args.png.resolve()}",
                    f"--window-size={args.width},{args.height}", args.report.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    total, decoded = decoded_images(browser, args.report.resolve())
    print(f"chromium decoded {decoded} of {total} images; screenshot: {args.png}")
    return 0 if total and decoded == total else 1


if __name__ == "__main__":
    sys.exit(main())
