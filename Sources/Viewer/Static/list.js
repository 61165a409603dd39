// The images list: filters (split part, finding by label source, a model's probability,
// hand-drawn boxes, patient), 50 rows a page from GET /api/images, thumbnails.
import { classes, element, getJSON, percent } from "./api.js";

const filterNames = ["part", "finding", "source", "model", "min", "boxes", "patient", "sort"];

export async function showList(main, params) {
  const models = await getJSON("/api/models");
  const query = new URLSearchParams();
  for (const name of [...filterNames, "page"]) if (params.get(name)) query.set(name, params.get(name));
  const started = performance.now();
  const page = await getJSON(`/api/images?${query}`);
  const elapsed = performance.now() - started;
  sessionStorage.setItem("thorax.list", JSON.stringify({ hash: location.hash, ids: page.images.map((image) => image.id) }));

  const select = (name, label, options) => element("label", {}, label, element("select", { name },
    options.map(([value, text]) => element("option", { value, selected: (params.get(name) ?? "") === value }, text))));
  const form = element("form", { className: "filters", "aria-label": "Filters" },
    select("part", "Split part", [["", "any"], ["train_val", "train_val"], ["test", "test"]]),
    select("finding", "Finding", [["", "any"], ...[...classes, "No Finding"].map((c) => [c, c.replace("_", " ")])]),
    select("source", "Label source", [["nih", "NIH"], ["labeller", "labeller"], ["human", "human"],
      ...models.map((m) => [`model:${m.id}`, `model ${m.name}`])]),
    select("model", "Probability of model", [["", "none"], ...models.map((m) => [String(m.id), m.name])]),
    element("label", {}, "Probability ≥", element("input", { name: "min", type: "number", min: 0, max: 1, step: 0.05,
      value: params.get("min") ?? "", style: "width:6em" })),
    select("boxes", "Hand-drawn boxes", [["", "any"], ["yes", "with boxes"], ["no", "without"]]),
    element("label", {}, "Patient", element("input", { name: "patient", value: params.get("patient") ?? "", size: 8 })),
    select("sort", "Order", [["", "image"], ["probability", "probability ↓"]]),
    element("button", { type: "submit" }, "Apply"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) next.set(name, value);
    location.hash = `#/images?${next}`;
  });

  const rows = page.images.map((image) => element("tr", { "data-id": image.id },
    element("td", {}, thumbnail(image)),
    element("td", {}, element("a", { href: `#/image/${image.id}` }, image.name)),
    element("td", {}, image.patient),
    element("td", {}, image.view ?? "–"),
    element("td", {}, [image.age ?? "", image.sex ?? ""].join(" ")),
    element("td", {}, image.labels.length ? image.labels.map((l) => element("span", { className: "tag" }, l.replace("_", " "))) : "–"),
    element("td", {}, percent(image.probability))));
  const pageNumber = page.page, last = Math.max(0, Math.ceil(page.total / page.pageSize) - 1);
  const go = (n) => { const next = new URLSearchParams(query); next.set("page", n); location.hash = `#/images?${next}`; };
  main.replaceChildren(
    form,
    element("p", { className: "muted", id: "list-summary" },
      `${page.total.toLocaleString()} images · page ${pageNumber + 1} of ${last + 1} · ${elapsed.toFixed(0)} ms`),
    element("table", { "aria-label": "Images" },
      element("thead", {}, element("tr", {}, ["", "Image", "Patient", "View", "Age/sex", "Labels", "Probability"]
        .map((h) => element("th", { scope: "col" }, h)))),
      element("tbody", {}, rows.length ? rows : element("tr", {}, element("td", { colspan: 7, className: "muted" }, "No image matches.")))),
    element("div", { className: "pager" },
      element("button", { onclick: () => go(pageNumber - 1), disabled: pageNumber === 0 }, "← Previous"),
      element("button", { onclick: () => go(pageNumber + 1), disabled: pageNumber >= last }, "Next →")));
  return (event) => {
    if (event.key === "ArrowRight" && pageNumber < last) { go(pageNumber + 1); return true; }
    if (event.key === "ArrowLeft" && pageNumber > 0) { go(pageNumber - 1); return true; }
    return false;
  };
}

/** The row's thumbnail, or a clear note when the file is not on disk. */
function thumbnail(image) {
  const box = element("div", { className: "thumbbox" });
  const img = element("img", { className: "thumb", loading: "lazy", src: `/api/images/${image.id}/thumbnail.png`,
    alt: `Chest X-ray ${image.name}${image.labels.length ? ", labelled " + image.labels.join(", ") : ""}` });
  box.append(img);
  if (!image.hasFile) {
    img.alt = `No file on disk for ${image.name}`;
    box.append(element("span", { className: "placeholder-note" }, "file not on disk"));
  }
  return element("a", { href: `#/image/${image.id}` }, box);
}
