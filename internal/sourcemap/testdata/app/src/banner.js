// A banner added in the next release: its functions shift the minifier's
// names of everything after it.
export function showBanner(text) {
  const el = document.createElement("div");
  el.textContent = formatBanner(text);
  return el;
}
function formatBanner(text) {
  return "★ " + text;
}
