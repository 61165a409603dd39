// The class table of the image view: the served model's probability, threshold and decision
// beside the stored labels (NIH, labeller, a stored model's, human), sortable, with a human
// label per class that needs the label token.
import { classes, element, percent } from "./api.js";

const valueNames = { 1: "positive", 0: "negative", "-1": "uncertain" };

export function classTable(image, { onChoose, onLabel }) {
  let predicted = null, order = "class", chosen = null;
  const node = element("div", {});
  const tokenInput = element("input", { type: "password", id: "label-token", placeholder: "label token", size: 12,
    "aria-label": "Label token", value: sessionStorage.getItem("thorax.labelToken") ?? "" });
  const message = element("span", { className: "muted", role: "status" });
  const stored = (source, className) => {
    const label = image.labels.find((l) => l.source === source && l.className === className);
    return label ? element("span", { className: `v${label.value}`, title: label.evidence ?? valueNames[label.value] },
      label.value === 1 ? "+" : label.value === 0 ? "−" : "?") : element("span", { className: "muted" }, "·");
  };
  const nihPositive = (className) => image.labels.some((l) => l.source === "nih" && l.className === className && l.value === 1);

  // Without a live prediction (no file on disk), the first stored model's probabilities.
  const stored0 = image.predictions[0] ?? null;

  function render(classesPredicted) {
    predicted = classesPredicted;
    const rows = classes.map((className, index) => {
      const p = predicted?.find((c) => c.class === className);
      return { className, index, p };
    });
    if (order === "probability" && predicted) rows.sort((a, b) => (b.p?.probability ?? 0) - (a.p?.probability ?? 0));
    const header = (label, key) => element("th", { scope: "col", className: key ? "sortable" : "",
      "aria-sort": key && order === key ? (key === "probability" ? "descending" : "ascending") : null,
      onclick: key ? () => { order = key; render(predicted); } : null }, label);
    const table = element("table", { id: "class-table", "aria-label": "Classes: model and labels" },
      element("thead", {}, element("tr", {}, header("Class", "class"), header("Probability", "probability"), header("Threshold"),
        header("Model"), header("NIH"), header("Labeller"), header("Human"))),
      element("tbody", {}, rows.map(({ className, p }) => {
        const human = image.labels.find((l) => l.source === "human" && l.className === className);
        const select = element("select", { "aria-label": `Human label of ${className}` },
          [["", "·"], ["1", "+"], ["0", "−"], ["-1", "?"]].map(([value, text]) =>
            element("option", { value, selected: String(human?.value ?? "") === value }, text)));
        select.addEventListener("change", async () => {
          const token = tokenInput.value.trim();
          if (!token) { message.textContent = "Enter the label token first."; return; }
          sessionStorage.setItem("thorax.labelToken", token);
          try {
            await onLabel(className, select.value === "" ? null : Number(select.value), token);
            message.textContent = `Saved the human label of ${className}.`;
          } catch (error) { message.textContent = error.message; }
        });
        return element("tr", { "data-class": className, className: className === chosen ? "selected" : "",
          onclick: (event) => { if (!event.target.closest("select")) onChoose(className); } },
          element("td", {}, element("a", { href: "javascript:void 0", className: nihPositive(className) ? "present" : "" },
            className.replace("_", " "))),
          p ? element("td", { className: p.present ? "present" : "" }, percent(p.probability))
            : element("td", { className: "muted", title: stored0 ? `stored by model ${stored0.modelName}` : null },
              percent(stored0?.probabilities[className])),
          element("td", { className: "muted" }, percent(p?.threshold)),
          element("td", {}, p ? (p.present ? element("span", { className: "v1" }, "present") : element("span", { className: "muted" }, "absent"))
            : stored("model", className)),
          element("td", {}, stored("nih", className)),
          element("td", {}, stored("labeller", className)),
          element("td", {}, select));
      })));
    node.replaceChildren(table, element("p", {}, tokenInput, " ", message));
  }

  function highlight(className) {
    chosen = className;
    for (const row of node.querySelectorAll("tr[data-class]")) row.classList.toggle("selected", row.dataset.class === className);
  }
  return { node, render, highlight };
}
