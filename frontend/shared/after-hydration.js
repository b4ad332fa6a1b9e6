// Runs `start` once the page is hydrated (the WASM sets `data-hydrated="true"` on <body>): before that, Leptos
// must find the DOM exactly as the server rendered it, so the editor and the charts wait for it. Bundled into
// both public/editor.js and public/charts.js by esbuild.
export function afterHydration(start) {
  if (document.body?.dataset.hydrated === 'true') {
    start();
    return;
  }
  const waiting = new MutationObserver(() => {
    if (document.body.dataset.hydrated === 'true') {
      waiting.disconnect();
      start();
    }
  });
  waiting.observe(document.documentElement, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
}
