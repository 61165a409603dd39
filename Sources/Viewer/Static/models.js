// The registered models: each card's architecture, thresholds and validation AUCs per class, and
// the ROC curves of its stored probabilities against the NIH labels of the official test images.
import { element, getJSON } from "./api.js";

export async function showModels(main) {
  const models = await getJSON("/api/models");
  if (!models.length) {
    main.replaceChildren(element("p", { className: "muted" }, "No model is registered in this database (thorax predict --database registers one)."));
    return null;
  }
  main.replaceChildren(...models.map((model) => {
    const card = model.card ?? {};
    const metrics = typeof card.metrics === "object" && card.metrics ? card.metrics : {};
    const auc = Array.isArray(metrics.auc) ? metrics.auc : [];
    const curves = element("img", { src: `/api/models/${model.id}/roc.svg?part=test`, className: "roc",
      alt: `ROC curves of ${model.name}'s stored probabilities against the NIH labels of the official test images` });
    curves.addEventListener("error", () => curves.replaceWith(element("p", { className: "muted" },
      "No ROC curves: the model has no stored probabilities for the official test images (thorax eval --store-predictions or thorax predict --database stores them).")));
    return element("section", { className: "card", style: "margin-bottom: 1rem; max-width: 60rem" },
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
  }));
  return null;
}
