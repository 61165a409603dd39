// The image view: the film with zoom, pan and window/level, a class's heatmap over it, boxes,
// the class table comparing NIH, labeller, model and human labels, follow-ups and reports.
import { classes as allClasses, element, getJSON, percent, predict, setLabel } from "./api.js";
import { FilmViewer } from "./film.js";
import { renderReport } from "./reports.js";
import { classTable } from "./classes.js";

export async function showImage(main, id) {
  const detail = await getJSON(`/api/images/${id}`);
  const image = detail.image;
  const stage = element("div", { className: "stage" });
  const status = element("p", { className: "muted", id: "prediction-status", role: "status" }, "");
  const tools = element("div", { className: "tools" });
  const tableCard = element("section", { className: "card", "aria-label": "Classes" }, element("h2", {}, "Classes"), status);
  const side = element("div", { className: "side" }, facts(image, detail), tableCard);
  main.replaceChildren(element("h1", { style: "font-size:1.1rem;margin:0 0 .5rem" },
    `${image.name} · patient ${image.patient}`), tools, element("div", { className: "layout" }, stage, side));

  let display = detail.window ? { ...detail.window } : null;
  const filmURL = () => `/api/images/${id}/image.png` + (display ? `?center=${display.center.toFixed(1)}&width=${display.width.toFixed(1)}` : "");
  const viewer = new FilmViewer(stage, {
    onWindow: display && ((dx, dy, done) => {
      const range = detail.valueRange ? detail.valueRange[1] - detail.valueRange[0] : 4096;
      display.width = Math.max(1, display.width + dx * range / 500);
      display.center = display.center + dy * range / 500;
      windowLabel.textContent = `W ${display.width.toFixed(0)} / L ${display.center.toFixed(0)}`;
      if (done) viewer.setFilm(filmURL());
    }),
  });
  const windowLabel = element("span", { className: "muted", id: "window-label" },
    display ? `W ${display.width.toFixed(0)} / L ${display.center.toFixed(0)}` : "");
  if (!detail.format) {
    stage.append(element("div", { className: "missing", role: "note" }, "The file of this image is not on disk."));
    status.textContent = "No file on disk: nothing to predict.";
  } else {
    await viewer.setFilm(filmURL(), `Chest X-ray ${image.name}, ${image.view ?? ""} view, patient ${image.patient}`);
  }
  const frameScale = viewer.film ? viewer.film.naturalWidth / detail.boxFrame : 1;
  const scaled = (b) => ({ x: b.x * frameScale, y: b.y * frameScale, width: b.width * frameScale, height: b.height * frameScale,
    className: b.className });
  viewer.truthBoxes = image.boxes.filter((b) => b.source !== "model").map(scaled);
  viewer.draw();

  // The class whose heatmap and detected boxes are shown.
  let prediction = null, maps = null, current = null;
  const classSelect = element("select", { id: "class-select", "aria-label": "Heatmap class" });
  const choose = (className) => {
    current = className;
    classSelect.value = className;
    const map = maps?.classes.find((c) => c.className === className) ?? null;
    viewer.setMap(map);
    const predicted = prediction?.classes.find((c) => c.class === className);
    viewer.detectedBoxes = (predicted?.boxes ?? []).concat(image.boxes.filter((b) => b.source === "model" && b.className === className).map(scaled));
    viewer.draw();
    table.highlight(className);
  };
  classSelect.addEventListener("change", () => choose(classSelect.value));
  const toggle = (label, id, initial, apply) => {
    const button = element("button", { id, type: "button", "aria-pressed": String(initial), className: initial ? "on" : "" }, label);
    button.addEventListener("click", () => {
      const on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(on));
      button.classList.toggle("on", on);
      apply(on);
      viewer.draw();
    });
    return button;
  };
  const overlayButton = toggle("Heatmap (o)", "toggle-overlay", true, (on) => { viewer.overlay = on; });
  const truthButton = toggle("Hand-drawn boxes", "toggle-truth", true, (on) => { viewer.showTruth = on; });
  const detectedButton = toggle("Detected boxes", "toggle-detected", true, (on) => { viewer.showDetected = on; });
  const opacity = element("input", { id: "opacity", type: "range", min: 0, max: 1, step: 0.05, value: viewer.opacity,
    "aria-label": "Heatmap opacity" });
  opacity.addEventListener("input", () => { viewer.opacity = Number(opacity.value); viewer.draw(); });
  tools.append(element("label", {}, "Class", classSelect), overlayButton,
    element("label", {}, "Opacity", opacity), truthButton, detectedButton,
    element("button", { type: "button", onclick: () => viewer.fit() }, "Fit (0)"));
  if (display) {
    const presets = [["File", { ...detail.window }], ["Wide", { center: detail.window.center, width: detail.window.width * 2 }],
      ["Narrow", { center: detail.window.center, width: detail.window.width / 2 }]];
    tools.append(element("label", {}, "Window",
      ...presets.map(([name, value]) => element("button", { type: "button", onclick: () => {
        display = { ...value }; windowLabel.textContent = `W ${display.width.toFixed(0)} / L ${display.center.toFixed(0)}`;
        viewer.setFilm(filmURL());
      } }, name))), windowLabel, element("span", { className: "muted" }, "shift-drag: window/level"));
  }

  const table = classTable(image, {
    onChoose: choose,
    onLabel: async (className, value, token) => {
      const updated = await setLabel(id, className, value, token);
      image.labels = updated.image.labels;
      table.render(prediction?.classes ?? null);
    },
  });
  tableCard.append(table.node);
  for (const name of allClasses) classSelect.append(element("option", { value: name }, name.replace("_", " ")));

  side.append(followUps(image));
  for (const reportID of image.reportIDs) side.append(renderReport(await getJSON(`/api/reports/${reportID}`)));

  table.render(null);
  // The prediction runs while the page already answers keys.
  (async () => {
    if (detail.format) {
      status.textContent = "Predicting with the served model…";
      try {
        const file = await (await fetch(`/api/images/${id}/file`)).blob();
        ({ prediction, maps } = await predict(file, image.name));
        status.textContent = `Model ${prediction.model}: heatmaps of every class; present classes in red.`;
        table.render(prediction.classes);
        const top = [...prediction.classes].sort((a, b) => b.probability - a.probability)[0];
        choose(top.class);
      } catch (error) {
        status.textContent = `No prediction: ${error.message}`;
        table.render(null);
      }
    } else {
      table.render(null);
    }
    stage.dataset.ready = "true";
  })();

  const list = JSON.parse(sessionStorage.getItem("thorax.list") ?? "null");
  const step = (delta) => {
    const ids = list?.ids ?? [];
    const index = ids.indexOf(id);
    if (index >= 0 && ids[index + delta] !== undefined) location.hash = `#/image/${ids[index + delta]}`;
  };
  return (event) => {
    switch (event.key) {
      case "ArrowRight": case "n": step(1); return true;
      case "ArrowLeft": case "p": step(-1); return true;
      case "o": overlayButton.click(); return true;
      case "b": truthButton.click(); detectedButton.click(); return true;
      case "c": case "C": {
        const names = allClasses, at = names.indexOf(current);
        choose(names[(at + (event.key === "C" ? names.length - 1 : 1)) % names.length]);
        return true;
      }
      case "0": viewer.fit(); return true;
      case "+": case "=": viewer.zoom(1.25); return true;
      case "-": viewer.zoom(0.8); return true;
      case "Escape": location.hash = list?.hash ?? "#/images"; return true;
      default: return false;
    }
  };
}

function facts(image, detail) {
  const row = (term, value) => [element("dt", {}, term), element("dd", {}, value ?? "–")];
  return element("section", { className: "card", "aria-label": "Image" }, element("h2", {}, image.name),
    element("dl", { className: "facts" },
      row("Patient", element("a", { href: `#/images?patient=${encodeURIComponent(image.patient)}` }, image.patient)),
      row("Follow-up", image.followUp), row("View", image.view), row("Age / sex", [image.age ?? "", image.sex ?? ""].join(" ")),
      row("Size", image.width ? `${image.width} × ${image.height}` : null), row("File", detail.format ?? "not on disk"),
      row("Splits", image.splits.map(([split, part]) => `${split}: ${part}`).join(", ")),
      row("Boxes", image.boxes.length ? image.boxes.map((b) => `${b.className} (${b.source})`).join(", ") : null)));
}

function followUps(image) {
  const card = element("section", { className: "card", "aria-label": "Follow-ups" },
    element("h2", {}, `The patient's other images (${image.related.length})`));
  if (!image.related.length) card.append(element("p", { className: "muted" }, "None."));
  card.append(element("div", { className: "followups" }, image.related.map((other) => element("a", { href: `#/image/${other.id}` },
    element("img", { className: "thumb", loading: "lazy", src: `/api/images/${other.id}/thumbnail.png`,
      alt: `Follow-up ${other.followUp ?? ""} of the same patient, ${other.name}` }),
    `#${other.followUp ?? "?"} ${other.view ?? ""}`))));
  return card;
}
