"""Headless Chromium for the dashboard's browser tests and screenshots (Selenium with Debian's
``chromium`` and ``chromium-driver``: ``apt-get install -y chromium chromium-driver``)."""

from __future__ import annotations

import os
import shutil


def chromium_paths() -> tuple[str, str] | None:
    """(browser, driver) when both are installed, else None."""
    browser = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                          "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        return None
    return browser, driver


def start_browser(width: int = 1400, height: int = 900):
    """A headless Chromium under Selenium (raises RuntimeError when not installed)."""
    paths = chromium_paths()
    if paths is None:
        raise RuntimeError("chromium and chromedriver are not installed "
                           "(apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 f"--window-size={width},{height}", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    service = Service(executable_path=paths[1], log_output=os.devnull)
    return webdriver.Chrome(service=service, options=options)
