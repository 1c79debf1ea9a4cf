"""Open a report in a real browser (headless system Chromium through Playwright) and say what is
wrong with it as a user would see it: broken images, pictures under 128 px, text running out of
its box or the page wider than the window, "None" / "nan" in the text."""
from __future__ import annotations

import shutil
from pathlib import Path

CHECK = """() => {
  const bad = [];
  for (const im of document.images) {
    if (!im.complete || im.naturalWidth === 0) bad.push('broken image ' + im.title);
    else if (im.naturalHeight < 128) bad.push('image ' + im.naturalHeight + ' px tall: ' + im.title);
  }
  for (const el of document.querySelectorAll('p, td, th, h1, h2, .cap')) {
    if (el.scrollWidth > el.clientWidth + 1) bad.push('text overflows: ' + el.textContent.slice(0, 60));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('page wider than the window');
  return {bad: bad, text: document.body.innerText};
}"""


def why_no_browser() -> str | None:
    """None when Playwright and a system Chromium are there; else what is missing, for a skip."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if chromium() is None:
        return "no Chromium on this machine (apt-get install chromium)"
    return None


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def look_at(pages: dict[str, Path], shots: Path, keep: str | None = None) -> dict[str, dict]:
    """name -> {"bad": [...], "text": str} for each page, with a full-page screenshot of each in
    ``shots`` (and copied to ``keep`` when given)."""
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for name, path in pages.items():
                page.goto(path.resolve().as_uri())
                page.wait_for_load_state("load")
                found[name] = page.evaluate(CHECK)
                shot = shots / f"{name}.png"
                page.screenshot(path=str(shot), full_page=True)
                found[name]["shot"] = shot
                if keep:
                    Path(keep).mkdir(parents=True, exist_ok=True)
                    shutil.copy(shot, Path(keep) / shot.name)
        finally:
            browser.close()
    return found


def words_a_user_should_not_see(text: str) -> list[str]:
    return [w for w in ("None", "nan", "NaN") if w in text.replace(",", " ").replace(";", " ").split()]
