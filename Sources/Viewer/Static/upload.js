// Upload: drop (or choose) a PNG, JPEG or DICOM file; it goes to POST /v1/predict with
// heatmaps, and the findings and each class's heatmap are shown on the film. With a token typed
// in, a DICOM file is first stored through STOW-RS (POST /dicom-web/studies) and the store's
// answer shown. The token is kept in sessionStorage only (gone with the tab), never in the URL.
import { element, mediaType as mediaTypeOf, percent, predict, storeDICOM } from "./api.js";

const tokenKey = "thorax.dicomwebToken";

/** The stored and failed instances of a STOW-RS answer (DICOM JSON), as one line. */
function storeSummary({ status, answer }) {
  const items = (tag) => answer?.[tag]?.Value ?? [];
  const uid = (item) => item["00081155"]?.Value?.[0] ?? "?";
  const stored = items("00081199").map(uid), failed = items("00081198").map(uid);
  return `STOW-RS ${status}: stored ${stored.length} instance${stored.length === 1 ? "" : "s"}`
    + (stored.length ? ` (${stored.join(", ")})` : "")
    + (failed.length ? `; failed ${failed.length} (${failed.join(", ")})` : "");
}
import { FilmViewer } from "./film.js";

export async function showUpload(main) {
  const input = element("input", { type: "file", id: "upload-file", accept: ".png,.jpg,.jpeg,.dcm,image/png,image/jpeg,application/dicom",
    "aria-label": "Choose an image" });
  const drop = element("div", { className: "drop", id: "drop" }, "Drop a chest X-ray here (PNG, JPEG or DICOM), or ", input);
  const token = element("input", { type: "password", id: "dicomweb-token", autocomplete: "off",
    value: sessionStorage.getItem(tokenKey) ?? "", "aria-label": "DICOMweb bearer token" });
  token.addEventListener("change", () => {
    if (token.value) sessionStorage.setItem(tokenKey, token.value); else sessionStorage.removeItem(tokenKey);
  });
  const tokenLabel = element("label", {}, "Token (DICOM files are stored through STOW-RS with it)", token);
  const stored = element("p", { className: "muted", role: "status", id: "store-status" });
  const status = element("p", { className: "muted", role: "status", id: "upload-status" });
  const stage = element("div", { className: "stage", style: "height: 60vh" });
  const results = element("div", { id: "upload-results" });
  const opacity = element("input", { id: "opacity", type: "range", min: 0, max: 1, step: 0.05, value: 0.45, "aria-label": "Heatmap opacity" });
  main.replaceChildren(drop, element("div", { className: "tools" }, tokenLabel), stored, status,
    element("div", { className: "tools" }, element("label", {}, "Opacity", opacity)),
    element("div", { className: "layout" }, stage, element("section", { className: "card" }, element("h2", {}, "Findings"), results)));
  const viewer = new FilmViewer(stage);
  opacity.addEventListener("input", () => { viewer.opacity = Number(opacity.value); viewer.draw(); });

  async function run(file) {
    results.replaceChildren();
    stored.textContent = "";
    status.className = "muted";
    try {
      const bearer = token.value.trim();
      const isDICOM = (await mediaTypeOf(file)) === "application/dicom";
      if (isDICOM && bearer) {
        stored.textContent = `Storing ${file.name} through STOW-RS…`;
        const answer = await storeDICOM(file, bearer);
        stored.textContent = `${file.name}: ${storeSummary(answer)}`;
        stored.dataset.status = answer.status;
      }
      status.textContent = `Predicting ${file.name}…`;
      const { prediction, maps, type } = await predict(file, file.name, bearer);
      const ranked = [...prediction.classes].sort((a, b) => b.probability - a.probability);
      // A browser cannot draw DICOM: the service's figure of the top class stands in for the film.
      const film = type === "application/dicom" ? ranked[0].heatmap : URL.createObjectURL(file);
      await viewer.setFilm(film, `Uploaded image ${file.name}`);
      const show = (className) => {
        viewer.setMap(type === "application/dicom" ? null : maps?.classes.find((c) => c.className === className));
        viewer.detectedBoxes = prediction.classes.find((c) => c.class === className)?.boxes ?? [];
        viewer.draw();
        for (const row of results.querySelectorAll("tr[data-class]")) row.classList.toggle("selected", row.dataset.class === className);
      };
      results.append(element("table", { "aria-label": "Findings of the uploaded image" },
        element("thead", {}, element("tr", {}, ["Class", "Probability", "Threshold", ""].map((h) => element("th", { scope: "col" }, h)))),
        element("tbody", {}, ranked.map((c) => element("tr", { "data-class": c.class, onclick: () => show(c.class) },
          element("td", {}, element("a", { href: "javascript:void 0" }, c.class.replace("_", " "))),
          element("td", { className: c.present ? "present" : "", "data-probability": c.probability }, percent(c.probability)),
          element("td", { className: "muted" }, percent(c.threshold)),
          element("td", {}, c.present ? "present" : ""))))));
      show(ranked[0].class);
      status.textContent = `${file.name}: model ${prediction.model}, ${prediction.width} × ${prediction.height} pixels.`;
    } catch (error) {
      status.textContent = `${file.name}: ${error.message}`;
      status.className = "error";
    }
  }
  input.addEventListener("change", () => { if (input.files[0]) run(input.files[0]); });
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files[0]) run(event.dataTransfer.files[0]);
  });
  return null;
}
