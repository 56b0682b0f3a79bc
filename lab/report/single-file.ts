/**
 * The single-file report's data store, declared before the report's app runs.
 *
 * Allure 3's single-file report (awesome, `singleFile: true`, Allure 3.18) is one index.html: the
 * app as a script, then inline scripts that declare `window.allureReportData` and fill it with every
 * data file of the report. The app reads a data file from that store only when the store exists at
 * the moment it asks; otherwise it fetches the file, and a browser refuses every fetch of a page
 * opened from the disk (file://). The browser may pause the parsing of the page between the app's
 * script and the store's (a 7 MB page, on a busy machine), and the app's first requests then go to
 * fetch: the report's tree never loads and shows its spinner for good. In headless Chromium this
 * happened to one load in five on a loaded 2-core machine.
 *
 * Declared before the app, the store exists whenever the app asks, so the app always waits for the
 * data (it polls `allureReportDataReady`, which the last inline script sets) and never fetches.
 */

/** What a single-file report declares its data store with (its own inline script does). */
const STORE = 'window.allureReportData = window.allureReportData || {};';
/** The script this module adds; the report's own declaration later keeps the same object. */
const EARLY_STORE = `<script>${STORE}</script>`;

/**
 * `html` with the report's data store declared before any script runs; unchanged when the report
 * is not a single file (its data are files beside it) or the store is declared first already.
 */
export function declareDataStoreFirst(html: string): string {
  if (!html.includes(STORE)) return html;
  if (html.includes(EARLY_STORE)) return html;
  const head = /<head(?:\s[^>]*)?>/i.exec(html);
  const at = head ? head.index + head[0].length : html.search(/<script\b/i);
  if (at < 0) return html;
  return `${html.slice(0, at)}${EARLY_STORE}${html.slice(at)}`;
}

/** Whether the data store is declared before the first script that loads code (a `src`). */
export function dataStoreComesFirst(html: string): boolean {
  const store = html.indexOf(STORE);
  const app = html.search(/<script\b[^>]*\ssrc=/i);
  return store >= 0 && (app < 0 || store < app);
}
