// The viewer's calls to the service: JSON endpoints under /api and the /v1/predict API.

// /v1/predict names each class "class"; the viewer's own messages say "className".
/** GET a JSON endpoint; throws an Error with the service's {"error": …} message. */
export async function getJSON(path) {
  const response = await fetch(path);
  return answer(response, path);
}

async function answer(response, what) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!response.ok) throw new Error(body?.error ?? `${what}: HTTP ${response.status}`);
  return body;
}

/** The media type /v1/predict expects for a file, from its name or its first bytes. */
export async function mediaType(blob, name = "") {
  const head = new Uint8Array(await blob.slice(0, 132).arrayBuffer());
  if (head[0] === 0x89 && head[1] === 0x50) return "image/png";
  if (head[0] === 0xff && head[1] === 0xd8) return "image/jpeg";
  if (String.fromCharCode(...head.slice(128, 132)) === "DICM" || /\.dcm$/i.test(name)) return "application/dicom";
  return blob.type || "application/octet-stream";
}

/**
 * Predicts an image through POST /v1/predict?heatmaps=all and fetches the class activation
 * maps of that prediction: { prediction, maps }.
 */
export async function predict(blob, name, token = "") {
  const type = await mediaType(blob, name);
  const bearer = token ? { Authorization: `Bearer ${token}` } : {};
  const response = await fetch("/v1/predict?heatmaps=all", { method: "POST", headers: { "Content-Type": type, ...bearer }, body: blob });
  const prediction = await answer(response, "/v1/predict");
  const maps = prediction.id
    ? await answer(await fetch(`/api/predictions/${encodeURIComponent(prediction.id)}/maps`, { headers: bearer }), "the heatmaps")
    : null;
  return { prediction, maps, type };
}

/**
 * Stores a DICOM file through STOW-RS (POST /dicom-web/studies, one part of
 * multipart/related; type="application/dicom") with the bearer `token`; resolves to the
 * store's DICOM JSON answer and its HTTP status (200 stored, 202 partly, 409 refused).
 */
export async function storeDICOM(blob, token) {
  const boundary = `thorax-${crypto.randomUUID()}`;
  const body = new Blob([`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, blob, `\r\n--${boundary}--\r\n`]);
  const response = await fetch("/dicom-web/studies", {
    method: "POST", body,
    headers: { "Content-Type": `multipart/related; type="application/dicom"; boundary=${boundary}`,
      Accept: "application/dicom+json", Authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  let answer = null;
  try { answer = text ? JSON.parse(text) : null; } catch { answer = null; }
  if (!response.ok && response.status !== 409 && response.status !== 202) {
    throw new Error(answer?.error ?? `STOW-RS: HTTP ${response.status}`);
  }
  return { status: response.status, answer };
}

/** Sets (value 1, 0, -1) or clears (null) the human label of an image with the label token. */
export async function setLabel(imageID, className, value, token) {
  const response = await fetch(`/api/images/${imageID}/labels/${encodeURIComponent(className)}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ value }),
  });
  return answer(response, "setting the label");
}

/** An element with attributes and children (strings become text nodes). */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The 14 classes in Thorax order. */
export const classes = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
  "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia"];

export const percent = (p) => (p === null || p === undefined ? "–" : `${(100 * p).toFixed(1)}%`);
