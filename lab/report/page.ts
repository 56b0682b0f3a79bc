/**
 * What driverlab changes in the report's page (index.html) after Allure 3 writes it, before anyone
 * can open it (lab/report/html.ts). Each change is checked on a page Allure 3.18.0 wrote
 * (fixtures/SOURCES.md) and, in the browser test, on the page of every test run.
 *
 * **The data store is declared before the app.** Allure 3's single-file report (awesome,
 * `singleFile: true`) is one page: the app as a script, then inline scripts that declare
 * `window.allureReportData` and fill it with every data file of the report. The app reads a data
 * file from that store only when the store exists at the moment it asks; otherwise it fetches the
 * file, and a browser refuses every fetch of a page opened from the disk (file://). The browser may
 * pause the parsing of the page between the app's script and the store's (a 7 MB page, on a busy
 * machine), and the app's first requests then go to fetch: the report's tree never loads and shows
 * its spinner for good (one load in five in headless Chromium on a loaded 2-core machine). Declared
 * before the app, the store exists whenever the app asks, so the app always waits for the data (it
 * polls `allureReportDataReady`, which the last inline script sets) and never fetches.
 *
 * **The page does not call Google Analytics.** Allure 3.18 writes Google's tag into every report
 * (it has no setting to leave it out): opening the report would tell Google the report's id, its
 * Allure version and the page's address, which is a path on the reader's disk. A report of
 * pre-release drivers stays in the lab, so the tag and its configuration are taken out.
 */

/** What a single-file report declares its data store with (its own inline script does). */
const STORE = 'window.allureReportData = window.allureReportData || {};';
/** The script this module adds; the report's own declaration later keeps the same object. */
const EARLY_STORE = `<script>${STORE}</script>`;
/** Google's tag, loaded from Google. */
const ANALYTICS_TAG =
  /[ \t]*<script\b[^>]*\bsrc="https:\/\/www\.googletagmanager\.com\/[^"]*"[^>]*>\s*<\/script>[ \t]*\n?/g;
/** An inline script (no attributes) that calls gtag(…): the tag's configuration. */
const ANALYTICS_CONFIG =
  /[ \t]*<script>(?:(?!<\/script>)[\s\S])*?\bgtag\((?:(?!<\/script>)[\s\S])*?<\/script>[ \t]*\n?/g;

/** The page with every change of this module made. */
export function fixReportPage(html: string): string {
  return withoutAnalytics(declareDataStoreFirst(html));
}

/**
 * `html` with the report's data store declared before any script runs; unchanged when the report
 * is not a single file (its data are files beside it) or the store is declared first already.
 */
export function declareDataStoreFirst(html: string): string {
  if (!html.includes(STORE)) return html;
  if (html.includes(EARLY_STORE)) return html;
  // Before the page's first script, which comes after its <meta charset>: the charset stays first.
  const at = html.search(/<script\b/i);
  if (at < 0) return html;
  return `${html.slice(0, at)}${EARLY_STORE}\n    ${html.slice(at)}`;
}

/** Whether the data store is declared before the first script that loads code (a `src`). */
export function dataStoreComesFirst(html: string): boolean {
  const store = html.indexOf(STORE);
  const app = html.search(/<script\b[^>]*\ssrc=/i);
  return store >= 0 && (app < 0 || store < app);
}

/** `html` without Google's analytics tag and the inline script that configures it. */
export function withoutAnalytics(html: string): string {
  return html.replace(ANALYTICS_TAG, '').replace(ANALYTICS_CONFIG, '');
}

/** Whether the page still loads or configures an analytics tag. */
export function callsAnalytics(html: string): boolean {
  return /googletagmanager\.com|\bgtag\(/.test(html);
}
