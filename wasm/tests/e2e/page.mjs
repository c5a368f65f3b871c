// What the e2e groups do on the verifier page (wasm/www), in one place.

/** The verifier page has started (its catalogs loaded, its controls wired): app.js published provenantPage. */
export const pageReady = (pg) => pg.waitForFunction(() => globalThis.provenantPage !== undefined, null, { timeout: 30_000 });

/** Gives `file` (a path) to the page's file input, after clearing the last result, and waits until the new
 * result is shown and the page is idle. */
export async function showFile(pg, file, timeout = 60_000) {
  await pg.evaluate(() => document.getElementById('result').replaceChildren());
  await pg.setInputFiles('#file', file);
  await pg.waitForFunction(() => document.getElementById('result').children.length > 0 && !globalThis.provenantPage.busy,
    null, { timeout });
}
