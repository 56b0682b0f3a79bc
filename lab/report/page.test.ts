/**
 * What driverlab changes in the report's page (page.ts), on a page Allure 3.18.0 wrote
 * (fixtures/SOURCES.md): the data store declared before the app, and no analytics.
 */
import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  callsAnalytics,
  dataStoreComesFirst,
  declareDataStoreFirst,
  fixReportPage,
  withoutAnalytics,
} from './page.js';

const STORE_TEXT = 'window.allureReportData = window.allureReportData || {};';
const page = readFileSync(
  new URL('./fixtures/awesome-single-file.allure-3.18.0.html', import.meta.url),
  'utf8',
);

describe("the single-file report's data store", () => {
  it("is declared after the app's script on the page Allure writes", () => {
    expect.equal(dataStoreComesFirst(page), false);
  });

  it('is declared before any script once the page is fixed, and the rest of the page is as Allure wrote it', () => {
    const fixed = declareDataStoreFirst(page);
    expect.equal(dataStoreComesFirst(fixed), true);
    const added = '<script>window.allureReportData = window.allureReportData || {};</script>\n    ';
    expect.equal(fixed.replace(added, ''), page);
    // Before the page's first script (the report's options), after its charset.
    expect.ok(fixed.indexOf(added) < fixed.indexOf('window.allureReportOptions'));
    expect.ok(fixed.indexOf(added) > fixed.indexOf('<meta charset="utf-8">'));
  });

  it('is declared once however often the page is fixed', () => {
    const once = declareDataStoreFirst(page);
    expect.equal(declareDataStoreFirst(once), once);
  });

  it('leaves a report whose data are files beside it (no store) unchanged', () => {
    const files = page.replace(/<script async>[\s\S]*?<\/script>\s*<script defer>[\s\S]*?<\/script>/, '');
    expect.ok(!files.includes('allureReportData'), 'the fixture without its data scripts');
    expect.equal(declareDataStoreFirst(files), files);
  });
});

describe("the report page's analytics", () => {
  it('are loaded and configured on the page Allure writes', () => {
    expect.equal(callsAnalytics(page), true);
  });

  it('are gone once the page is fixed, with every other script of the page kept', () => {
    const fixed = withoutAnalytics(page);
    expect.equal(callsAnalytics(fixed), false);
    const scripts = (html: string) => (html.match(/<script\b/g) ?? []).length;
    expect.equal(scripts(page) - scripts(fixed), 2, 'the tag and its configuration, nothing else');
    for (const kept of [
      'window.allureReportOptions',
      'data:text/javascript;base64,',
      STORE_TEXT,
      'allureReportDataReady = true',
    ]) {
      expect.ok(fixed.includes(kept), `the page keeps ${kept}`);
    }
  });

  it('are taken out by the whole fix, which also declares the data store first, and a second fix changes nothing', () => {
    const fixed = fixReportPage(page);
    expect.equal(callsAnalytics(fixed), false);
    expect.equal(dataStoreComesFirst(fixed), true);
    expect.equal(fixReportPage(fixed), fixed);
  });
});
