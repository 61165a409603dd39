// The viewer's pages by the location's hash: #/images?…, #/image/ID, #/reports, #/report/ID,
// #/models, #/upload. Each page module renders into <main> and may return a keyboard handler.
import { element } from "./api.js";
import { showList } from "./list.js";
import { showImage } from "./image.js";
import { showReports, showReport } from "./reports.js";
import { showModels } from "./models.js";
import { showUpload } from "./upload.js";

const main = document.getElementById("app");
let keyHandler = null;

async function route() {
  const hash = location.hash || "#/images";
  const [path, query = ""] = hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean);
  const page = parts[0] ?? "images";
  for (const link of document.querySelectorAll("nav a")) {
    const current = link.dataset.page === page || (page === "image" && link.dataset.page === "images")
      || (page === "report" && link.dataset.page === "reports");
    link.classList.toggle("current", current);
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  keyHandler = null;
  main.replaceChildren(element("p", { className: "muted" }, "Loading…"));
  try {
    const params = new URLSearchParams(query);
    if (page === "image") keyHandler = await showImage(main, Number(parts[1]));
    else if (page === "reports") keyHandler = await showReports(main, params);
    else if (page === "report") keyHandler = await showReport(main, Number(parts[1]));
    else if (page === "models") keyHandler = await showModels(main, params);
    else if (page === "upload") keyHandler = await showUpload(main);
    else keyHandler = await showList(main, params);
  } catch (error) {
    main.replaceChildren(element("p", { className: "error", role: "alert" }, String(error.message ?? error)));
  }
}

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
  if (keyHandler && keyHandler(event)) event.preventDefault();
});
window.addEventListener("hashchange", route);
route();
