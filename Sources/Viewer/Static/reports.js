// Reports with the labeller's mentions highlighted by their label (positive, negated,
// uncertain); hovering a mention shows the rule that decided it.
import { classes, element, getJSON } from "./api.js";

export async function showReports(main, params) {
  const finding = params.get("finding") ?? "";
  const offset = Number(params.get("offset") ?? 0);
  const reports = await getJSON(`/api/reports?finding=${encodeURIComponent(finding)}&offset=${offset}`);
  const select = element("select", { name: "finding", "aria-label": "Positive finding" },
    [["", "any finding"], ...[...classes, "No Finding"].map((c) => [c, c.replace("_", " ")])].map(([value, text]) =>
      element("option", { value, selected: value === finding }, text)));
  select.addEventListener("change", () => { location.hash = `#/reports?finding=${encodeURIComponent(select.value)}`; });
  const page = (delta) => { location.hash = `#/reports?finding=${encodeURIComponent(finding)}&offset=${Math.max(0, offset + delta)}`; };
  main.replaceChildren(
    element("form", { className: "filters" }, element("label", {}, "Labeller positive for", select)),
    element("table", { "aria-label": "Reports" },
      element("thead", {}, element("tr", {}, ["Report", "Source", "Labeller positives"].map((h) => element("th", { scope: "col" }, h)))),
      element("tbody", {}, reports.length ? reports.map((report) => element("tr", {},
        element("td", {}, element("a", { href: `#/report/${report.id}` }, report.identifier)),
        element("td", {}, report.source),
        element("td", {}, report.positives.map((p) => element("span", { className: "tag" }, p))))) :
        element("tr", {}, element("td", { colspan: 3, className: "muted" }, "No report matches.")))),
    element("div", { className: "pager" },
      element("button", { onclick: () => page(-50), disabled: offset === 0 }, "← Previous"),
      element("button", { onclick: () => page(50), disabled: reports.length < 50 }, "Next →")));
  return (event) => {
    if (event.key === "ArrowRight" && reports.length === 50) { page(50); return true; }
    if (event.key === "ArrowLeft" && offset > 0) { page(-50); return true; }
    return false;
  };
}

export async function showReport(main, id) {
  const report = await getJSON(`/api/reports/${id}`);
  main.replaceChildren(element("div", { style: "max-width: 60rem" }, renderReport(report)));
  return (event) => {
    if (event.key === "ArrowRight") { location.hash = `#/report/${id + 1}`; return true; }
    if (event.key === "ArrowLeft" && id > 1) { location.hash = `#/report/${id - 1}`; return true; }
    return false;
  };
}

const statusNames = { positive: "positive", negative: "negated", uncertain: "uncertain" };

/** A card with the report's sections, each mention a <mark> with its rule as the tooltip. */
export function renderReport(report) {
  const card = element("section", { className: "card report", "aria-label": `Report ${report.identifier}` },
    element("h2", {}, `Report ${report.identifier} (${report.source})`),
    element("p", { className: "legend muted" },
      element("span", {}, element("mark", { className: "mention positive" }, "positive")),
      element("span", {}, element("mark", { className: "mention negative" }, "negated")),
      element("span", {}, element("mark", { className: "mention uncertain" }, "uncertain")),
      element("span", {}, "hover a mention for its rule")));
  for (const section of report.sections) {
    if (section.name) card.append(element("h3", {}, section.name));
    const paragraph = element("p", {});
    let at = 0;
    const mentions = [...section.mentions].sort((a, b) => a.start - b.start);
    for (const mention of mentions) {
      if (mention.start < at) continue;
      paragraph.append(section.text.slice(at, mention.start));
      const label = `${mention.finding.replace("_", " ")} ${statusNames[mention.status]} — rule ${mention.rule}`;
      paragraph.append(element("mark", { className: `mention ${mention.status}`, title: label, "aria-label": label,
        "data-status": mention.status, "data-finding": mention.finding, "data-rule": mention.rule, tabindex: 0 },
        section.text.slice(mention.start, mention.end)));
      at = mention.end;
    }
    paragraph.append(section.text.slice(at));
    card.append(paragraph);
  }
  card.append(element("p", {}, element("strong", {}, "Labels: "), report.labels.length
    ? report.labels.map((l) => element("span", { className: `tag v${{ positive: 1, negative: 0, uncertain: -1 }[l.status]}` },
      `${l.className.replace("_", " ")}: ${statusNames[l.status]}`))
    : (report.noFinding ? "No Finding" : "none")));
  return card;
}
