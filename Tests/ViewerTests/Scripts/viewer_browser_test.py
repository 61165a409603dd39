#!/usr/bin/env python3
"""Drives the viewer of a running `thorax serve` in headless Chromium (Debian's chromium and
chromium-driver, through selenium) and prints what it saw as one JSON object.

usage: viewer_browser_test.py HOST:PORT SCREENSHOT_FOLDER UPLOAD_PNG FINDING [DICOM_IMAGE_ID [UPLOAD_DICOM TOKEN]]

It opens the list, filters by FINDING, opens the first image, switches classes, reads the canvas
pixels under a detected box with the heatmap overlay on and off, drags the opacity slider,
steps to the next image with the keyboard, finds a negated mention in a report and reads its
rule, uploads UPLOAD_PNG and reads its probabilities, compares two registered models side by
side (when the database has two), drags window/level on the DICOM image DICOM_IMAGE_ID (when
given) and reads the canvas before and after, uploads UPLOAD_DICOM with TOKEN typed in (stored
through STOW-RS, then predicted), and saves a screenshot of each page. The
Swift test (ThoraxCLITests.ViewerBrowserTests) asserts on the JSON; pointed at a database of
the whole NIH import, the "timings" give the list and image-view times in the browser.
"""
import json
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait


def main():
    address, shots, upload_png, finding = sys.argv[1:5]
    dicom_image = sys.argv[5] if len(sys.argv) > 5 else None
    upload_dicom, token = sys.argv[6:8] if len(sys.argv) > 7 else (None, None)
    base = f"http://{address}"
    wait_until_ready(base)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,800", "--force-device-scale-factor=1"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"))
    wait = WebDriverWait(driver, 120)
    result = {"timings": {}}
    try:
        # The list, then filtered by a finding.
        start = time.monotonic()
        driver.get(base + "/#/images")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-id]"))
        result["timings"]["list_ms"] = round(1000 * (time.monotonic() - start))
        result["list_rows"] = len(driver.find_elements(By.CSS_SELECTOR, "tr[data-id]"))
        result["list_summary"] = driver.find_element(By.ID, "list-summary").text
        # Thumbnails load lazily: ask for them all now, then count the decoded ones.
        driver.execute_script("document.querySelectorAll('img.thumb').forEach(i => { i.loading = 'eager'; })")
        wait.until(lambda d: d.execute_script("return [...document.querySelectorAll('img.thumb')].every(i => i.complete)"))
        result["thumbnails_loaded"] = driver.execute_script(
            "return [...document.querySelectorAll('img.thumb')].filter(i => i.complete && i.naturalWidth > 0).length")
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(f"{shots}/list.png")

        Select(driver.find_element(By.NAME, "finding")).select_by_value(finding)
        driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        wait.until(lambda d: f"finding={finding}" in d.current_url and d.find_elements(By.CSS_SELECTOR, "tr[data-id]")
                   and all(finding in row.text.replace(" ", "_") for row in d.find_elements(By.CSS_SELECTOR, "tr[data-id]")))
        rows = driver.find_elements(By.CSS_SELECTOR, "tr[data-id]")
        result["filtered"] = [row.find_element(By.CSS_SELECTOR, "td:nth-child(2) a").text for row in rows]
        driver.save_screenshot(f"{shots}/list-filtered.png")

        # The image view: wait for the served model's prediction.
        start = time.monotonic()
        rows[0].find_element(By.CSS_SELECTOR, "td:nth-child(2) a").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".stage[data-ready=true]"))
        result["timings"]["image_view_ms"] = round(1000 * (time.monotonic() - start))
        result["prediction_status"] = driver.find_element(By.ID, "prediction-status").text
        result["class_rows"] = len(driver.find_elements(By.CSS_SELECTOR, "#class-table tbody tr"))
        result["film_alt"] = driver.find_element(By.CSS_SELECTOR, ".stage canvas").get_attribute("aria-label")

        # Switch classes (the select, then the keyboard) until one has a detected box.
        Select(driver.find_element(By.ID, "class-select")).select_by_value(finding)
        result["selected_class"] = driver.find_element(By.CSS_SELECTOR, "#class-table tr.selected").get_attribute("data-class")
        for _ in range(14):
            if json.loads(canvas_data(driver)["detected"] or "[]"):
                break
            press(driver, "c")
        result["class_after_keys"] = Select(driver.find_element(By.ID, "class-select")).first_selected_option.get_attribute("value")
        data = canvas_data(driver)
        boxes = json.loads(data["detected"])
        result["detected_boxes"] = len(boxes)
        if boxes:
            scale, ox, oy = (float(v) for v in data["transform"].split(","))
            x, y, w, h = boxes[0]
            point = (round((x + w / 2) * scale + ox), round((y + h / 2) * scale + oy))
            result["pixel_overlay_on"] = pixel(driver, point)
            driver.find_element(By.ID, "toggle-overlay").click()
            result["pixel_overlay_off"] = pixel(driver, point)
            driver.find_element(By.ID, "toggle-overlay").click()
            result["pixel_overlay_again"] = pixel(driver, point)
            driver.save_screenshot(f"{shots}/image.png")
            slider = driver.find_element(By.ID, "opacity")
            before = slider.get_attribute("value")
            ActionChains(driver).click_and_hold(slider).move_by_offset(40, 0).release().perform()
            result["opacity"] = [before, slider.get_attribute("value")]
            result["pixel_after_opacity"] = pixel(driver, point)
        driver.save_screenshot(f"{shots}/image-opacity.png")

        # Next image by the keyboard, from the unfiltered list's first image.
        driver.get(base + "/#/images")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-id]")) > 1)
        driver.find_element(By.CSS_SELECTOR, "tr[data-id] td:nth-child(2) a").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".stage canvas"))
        before = driver.current_url
        press(driver, "n")
        wait.until(lambda d: d.current_url != before)
        result["next_image"] = [before.split("#")[1], driver.current_url.split("#")[1]]

        # A report with a negated mention (next report by the keyboard), its rule on hover.
        driver.get(base + "/#/reports")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "table[aria-label=Reports] tbody tr"))
        links = driver.find_elements(By.CSS_SELECTOR, "table[aria-label=Reports] tbody a")
        if links:
            links[0].click()
        for _ in range(60 if links else 0):
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "section.report"))
            marks = driver.find_elements(By.CSS_SELECTOR, "mark.mention[data-status=negative]")
            if marks:
                ActionChains(driver).move_to_element(marks[0]).perform()
                result["negated_mention"] = {"text": marks[0].text, "title": marks[0].get_attribute("title"),
                                             "rule": marks[0].get_attribute("data-rule"),
                                             "background": marks[0].value_of_css_property("background-color")}
                break
            before = driver.current_url
            press(driver, Keys.ARROW_RIGHT)
            wait.until(lambda d: d.current_url != before)
        driver.save_screenshot(f"{shots}/report.png")

        # Upload a PNG: the findings through /v1/predict.
        driver.get(base + "/#/upload")
        wait.until(lambda d: d.find_elements(By.ID, "upload-file"))
        driver.find_element(By.ID, "upload-file").send_keys(upload_png)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#upload-results td[data-probability]"))
        result["upload"] = {cell.find_element(By.XPATH, "..").get_attribute("data-class"): float(cell.get_attribute("data-probability"))
                            for cell in driver.find_elements(By.CSS_SELECTOR, "#upload-results td[data-probability]")}
        driver.save_screenshot(f"{shots}/upload.png")

        driver.get(base + "/#/models")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "main p, main section"))
        if driver.find_elements(By.ID, "compare-first"):
            # Two models side by side: their cards next to each other, their probabilities per
            # class on the same images; then the right one swapped for the first's neighbour.
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#compare-table td[data-first]")
                       or d.find_elements(By.CSS_SELECTOR, "#comparison p.error, #comparison p.muted:not(:first-child)"))
            cards = driver.find_elements(By.CSS_SELECTOR, ".pair .model-card")
            result["compare"] = {
                "cards": [card.find_element(By.CSS_SELECTOR, "h2").text for card in cards],
                "side_by_side": len(cards) == 2 and cards[0].location["y"] == cards[1].location["y"]
                                and cards[0].location["x"] < cards[1].location["x"],
                "rows": [row.find_element(By.CSS_SELECTOR, "td a").text
                         for row in driver.find_elements(By.CSS_SELECTOR, "#compare-table tbody tr")],
                "cells": {f"{cell.find_element(By.XPATH, '..').get_attribute('data-id')}/{cell.get_attribute('data-class')}":
                          [cell.get_attribute("data-first"), cell.get_attribute("data-second")]
                          for cell in driver.find_elements(By.CSS_SELECTOR, "#compare-table td[data-class]")},
            }
            driver.save_screenshot(f"{shots}/models-compare.png")
        else:
            driver.save_screenshot(f"{shots}/models.png")

        if upload_dicom:
            # A DICOM upload with a token: stored through STOW-RS first, then predicted. The
            # token survives a reload of the tab (sessionStorage). After the Models page: the
            # store registers the served model, which has no ROC curves.
            driver.get(base + "/#/upload")
            wait.until(lambda d: d.find_elements(By.ID, "dicomweb-token"))
            driver.find_element(By.ID, "dicomweb-token").send_keys(token, Keys.TAB)
            driver.refresh()
            wait.until(lambda d: d.find_elements(By.ID, "dicomweb-token"))
            result["token_kept"] = driver.find_element(By.ID, "dicomweb-token").get_attribute("value") == token
            result["token_in_local_storage"] = driver.execute_script("return Object.keys(localStorage).length > 0")
            driver.find_element(By.ID, "upload-file").send_keys(upload_dicom)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#upload-results td[data-probability]")
                       or d.find_elements(By.CSS_SELECTOR, "#upload-status.error"))
            result["stow_upload"] = {
                "store_status": driver.find_element(By.ID, "store-status").get_attribute("data-status"),
                "store_text": driver.find_element(By.ID, "store-status").text,
                "upload_status": driver.find_element(By.ID, "upload-status").text,
                "classes": len(driver.find_elements(By.CSS_SELECTOR, "#upload-results td[data-probability]")),
            }
            driver.save_screenshot(f"{shots}/upload-dicom.png")

        if dicom_image:
            # Window/level on a DICOM film: shift-drag on the canvas, with the overlay off, and
            # the film re-rendered through the new window.
            driver.get(f"{base}/#/image/{dicom_image}")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".stage[data-ready=true]"))
            driver.find_element(By.ID, "toggle-overlay").click()
            canvas = driver.find_element(By.CSS_SELECTOR, ".stage canvas")
            film = canvas.get_attribute("data-film")
            before = {"label": driver.find_element(By.ID, "window-label").text, "sum": canvas_sum(driver)}
            ActionChains(driver).key_down(Keys.SHIFT).click_and_hold(canvas).move_by_offset(120, 80) \
                .release().key_up(Keys.SHIFT).perform()
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".stage canvas").get_attribute("data-film") != film)
            result["window_level"] = {"film": [film, canvas.get_attribute("data-film")], "before": before,
                                      "after": {"label": driver.find_element(By.ID, "window-label").text,
                                                "sum": canvas_sum(driver)}}
            driver.save_screenshot(f"{shots}/image-dicom-window.png")
        result["console_errors"] = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        driver.quit()
    print(json.dumps(result))


def wait_until_ready(base, seconds=300):
    """Waits for /v2/health/ready (the served model loaded), so that the image view has its prediction."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(base + "/v2/health/ready", timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{base}: the served model was not ready after {seconds} s")
        time.sleep(0.2)


def press(driver, key):
    """Types `key` with nothing focused, as a user does between controls."""
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    ActionChains(driver).send_keys(key).perform()


def canvas_data(driver):
    return driver.execute_script("const c = document.querySelector('.stage canvas'); return {...c.dataset};")


def canvas_sum(driver):
    """The sum of the canvas's RGB values: one number that changes when the film's gray levels do."""
    return driver.execute_script(
        "const c = document.querySelector('.stage canvas');"
        "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2]; return s;")


def pixel(driver, point):
    """The canvas's RGBA at `point` (canvas pixels)."""
    return driver.execute_script(
        "const c = document.querySelector('.stage canvas');"
        "return Array.from(c.getContext('2d').getImageData(arguments[0], arguments[1], 1, 1).data);", *point)


if __name__ == "__main__":
    main()
