// The registered models: each card's architecture, thresholds and validation AUCs per class, and
// the ROC curves of its stored probabilities against the NIH labels of the official test images.
// With two or more, two chosen models side by side: their cards next to each other and, on the
// images both have stored probabilities for, each class's two probabilities.
import { element, getJSON, percent } from "./api.js";

export async function showModels(main, params = new URLSearchParams()) {
  const models = await getJSON("/api/models");
  if (!models.length) {
    main.replaceChildren(element("p", { className: "muted" }, "No model is registered in this database (thorax predict --database registers one)."));
    return null;
  }
  if (models.length < 2) {
    main.replaceChildren(modelCard(models[0]));
    return null;
  }
  const byID = new Map(models.map((model) => [String(model.id), model]));
  const first = byID.get(params.get("first") ?? "") ?? models[0];
  const second = byID.get(params.get("second") ?? "") ?? models.find((model) => model !== first);
  const choose = (name, chosen) => element("label", {}, name === "first" ? "Left model" : "Right model",
    element("select", { id: `compare-${name}`, name }, models.map((model) =>
      element("option", { value: model.id, selected: model === chosen }, `${model.name} (model ${model.id})`))));
  const form = element("form", { className: "filters", "aria-label": "Models to compare" }, choose("first", first), choose("second", second));
  form.addEventListener("change", () => {
    location.hash = `#/models?first=${form.elements.first.value}&second=${form.elements.second.value}`;
  });
  const offset = Number(params.get("offset") ?? 0) || 0;
  const comparison = element("section", { id: "comparison", className: "card" }, element("p", { className: "muted" }, "Loading…"));
  main.replaceChildren(element("h2", {}, "Two models side by side"), form,
    element("div", { className: "pair" }, modelCard(first), modelCard(second)), comparison,
    ...models.filter((model) => model !== first && model !== second).map(modelCard));
  try {
    const compared = await getJSON(`/api/models/compare?first=${first.id}&second=${second.id}&offset=${offset}`);
    comparison.replaceChildren(...comparisonTable(compared, first, second));
  } catch (error) {
    comparison.replaceChildren(element("p", { className: "error", role: "alert" }, String(error.message ?? error)));
  }
  return null;
}

/** A model's card: what it is, its classes' thresholds and validation AUCs, its ROC curves. */
function modelCard(model) {
  const card = model.card ?? {};
  const metrics = typeof card.metrics === "object" && card.metrics ? card.metrics : {};
  const auc = Array.isArray(metrics.auc) ? metrics.auc : [];
  const curves = element("img", { src: `/api/models/${model.id}/roc.svg?part=test`, className: "roc",
    alt: `ROC curves of ${model.name}'s stored probabilities against the NIH labels of the official test images` });
  curves.addEventListener("error", () => curves.replaceWith(element("p", { className: "muted" },
    "No ROC curves: the model has no stored probabilities for the official test images (thorax eval --store-predictions or thorax predict --database stores them).")));
  return element("section", { className: "card model-card", "data-model": model.id },
    element("h2", {}, `${model.name} (model ${model.id})`),
    element("p", {}, `${card.architecture ?? "unknown architecture"} · created ${card.created ?? "?"}`),
    card.notes ? element("p", { className: "muted" }, card.notes) : null,
    element("table", { "aria-label": `Classes of ${model.name}` },
      element("thead", {}, element("tr", {}, ["Class", "Threshold", "Validation AUC"].map((h) => element("th", { scope: "col" }, h)))),
      element("tbody", {}, (card.classes ?? []).map((name, index) => element("tr", {},
        element("td", {}, name.replace("_", " ")),
        element("td", {}, card.thresholds?.[index]?.toFixed(3) ?? "–"),
        element("td", {}, typeof auc[index] === "number" ? auc[index].toFixed(3) : "–"))))),
    element("h3", {}, "ROC curves of its stored probabilities on the official test images"), curves);
}

/** The images both models predicted, one row each: per class the left and the right probability. */
function comparisonTable(compared, first, second) {
  const heading = element("h2", {}, `${first.name} · ${second.name}: stored probabilities on the same images`);
  if (!compared.images.length) {
    return [heading, element("p", { className: "muted" }, "The two models have no stored probabilities for the same image.")];
  }
  const shown = `${compared.offset + 1}–${compared.offset + compared.images.length} of ${compared.total} images`;
  const page = (offset) => `#/models?first=${first.id}&second=${second.id}&offset=${offset}`;
  return [heading,
    element("p", { className: "muted", id: "compare-summary" }, `${shown}; each cell is left · right`),
    element("table", { id: "compare-table", "aria-label": `Probabilities of ${first.name} and ${second.name}` },
      element("thead", {}, element("tr", {}, element("th", { scope: "col" }, "Image"),
        compared.classes.map((name) => element("th", { scope: "col" }, name.replace("_", " "))))),
      element("tbody", {}, compared.images.map((image) => element("tr", { "data-id": image.id },
        element("td", {}, element("a", { href: `#/image/${image.id}` }, image.name)),
        compared.classes.map((name) => {
          const left = image.first[name], right = image.second[name];
          const differs = left !== undefined && right !== undefined && Math.abs(left - right) >= 0.2;
          return element("td", { "data-class": name, "data-first": left ?? "", "data-second": right ?? "",
            className: differs ? "differs" : null, title: differs ? "the models differ by 20 points or more" : null },
          `${percent(left)} · ${percent(right)}`);
        }))))),
    element("div", { className: "pager" },
      compared.offset > 0 ? element("a", { href: page(Math.max(0, compared.offset - 50)) }, "← previous") : null,
      compared.offset + compared.images.length < compared.total ? element("a", { href: page(compared.offset + 50) }, "next →") : null)];
}
