// More of the page (issue 16 item 5), with auto-scan on: <picture>/srcset (the chosen currentSrc),
// CSS background images, <video> posters, <video>/<audio> sources the verifier reads, pages that
// opt out of injected UI (<meta name="CR-allow-UI-injection" content="false">), and real-world
// page shapes — a CSS grid, lazy images, late insertion, infinite scroll — whose element boxes must
// not move when the marks come (getBoundingClientRect before and after).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/** Every element's box, relative to the document, by a stable key (its id or its path). */
const BOXES = () => {
  const key = (e) => e.id || (e.parentElement ? key(e.parentElement) + '>' + e.localName + ':' + [...e.parentElement.children].indexOf(e) : e.localName);
  const out = {};
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    out[key(e)] = [r.left + scrollX, r.top + scrollY, r.width, r.height].map((v) => Math.round(v * 100) / 100).join(',');
  }
  return out;
};
function assertSameBoxes(before, after, assert, what) {
  const moved = Object.keys(before).filter((k) => k in after && before[k] !== after[k]);
  assert(moved.length === 0, `${what}: ${moved.length} element boxes moved: ` + moved.slice(0, 5).map((k) => `${k}: ${before[k]} → ${after[k]}`).join('; '));
  assert(Object.keys(before).every((k) => k in after), `${what}: elements disappeared`);
}

export async function scanTests({ ctx, sw, extId, site, test, assert, assertIncludes, W, artifacts, cli, env, shared, waitMarks, cdpReader }) {
  const cliVerdict = (file) => JSON.parse(spawnSync(cli, ['verify', file, '--json'], { encoding: 'utf8', env }).stdout).verdict;
  const tabEntries = async (url) => sw.evaluate(async (url) => {
    const [tab] = await chrome.tabs.query({ url });
    const k = 'tab:' + tab.id;
    return ((await chrome.storage.session.get(k))[k] || []).map((e) => ({ src: e.src,
      verdict: e.result.report ? e.result.report.verdict : null, error: e.result.error ? e.result.error.code : null }));
  }, url);
  const waitEntries = async (url, n, timeout = 60_000) => {
    const t0 = Date.now();
    let got = [];
    while (Date.now() - t0 < timeout) {
      got = await tabEntries(url);
      if (got.length >= n) return got;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`want ${n} results for ${url}, got ${JSON.stringify(got)}`);
  };
  const videoVerdict = cliVerdict(path.join(shared, 'formats/video1.mp4'));
  const audioVerdict = cliVerdict(path.join(shared, 'realworld/truepic-lens-ios-audio.m4a'));
  const STATE = { trusted: 'trusted', valid: 'valid', invalid: 'invalid', no_manifest: 'none' };

  fs.copyFileSync(W('tampered.jpg'), W('hires.jpg')); // the 2x candidate: Invalid, so the chosen one shows
  fs.writeFileSync(W('tone.wav'), wav(8000, 0.5)); // media the verifier does not read: skipped quietly
  // A CSS grid of everything the scanner looks at; lazy, late and infinite-scroll pictures below.
  fs.writeFileSync(W('shapes.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>page shapes</title>
<style>body{margin:0;font:14px sans-serif}
.grid{display:grid;grid-template-columns:repeat(3,240px);gap:10px;padding:10px}
.cell{width:240px;height:180px;overflow:hidden;position:relative}
.cell img,.cell video{width:240px;height:180px;object-fit:cover;display:block}
#bg{width:240px;height:180px;background:url(tampered.jpg) center/cover}
#spacer{height:1400px}
#feed img,#lazy,#late img{width:240px;height:180px;display:block;margin:10px}
</style></head><body>
<h1>Page shapes</h1>
<div class="grid">
  <div class="cell"><picture><source srcset="signed.jpg" media="(min-width: 10px)"><img id="picture" src="unsigned.jpg" alt="picture"></picture></div>
  <div class="cell"><img id="srcset" srcset="untrusted.jpg 1x, hires.jpg 2x" src="unsigned.jpg" alt="srcset"></div>
  <div class="cell" id="bg" role="img" aria-label="background"></div>
  <div class="cell"><video id="poster" poster="edited.jpg" preload="none" muted></video></div>
  <div class="cell"><video id="video" src="${site.url}/shared/formats/video1.mp4" preload="metadata" muted></video></div>
  <div class="cell"><audio id="audio" src="${site.url}/shared/realworld/truepic-lens-ios-audio.m4a" preload="metadata" controls style="width:240px;height:54px;display:block"></audio></div>
  <div class="cell"><audio id="wav" src="tone.wav" preload="metadata" controls style="width:240px;height:54px;display:block"></audio></div>
</div>
<div id="spacer"></div>
<img id="lazy" loading="lazy" src="cropped.jpg" alt="lazy">
<div id="late"></div>
<div id="feed"></div>
<script>
  // IntersectionObserver-style late insertion: the picture is put in when its slot comes into view.
  new IntersectionObserver((es, o) => { for (const e of es) if (e.isIntersecting) { o.disconnect();
    const i = document.createElement('img'); i.id = 'late-img'; i.alt = 'late'; i.src = 'edited.jpg'; e.target.appendChild(i); } })
    .observe(document.getElementById('late'));
  // Infinite scroll: two more pictures appended whenever the reader nears the end.
  let n = 0;
  addEventListener('scroll', () => { if (n < 2 && innerHeight + scrollY > document.body.scrollHeight - 50) {
    for (const f of ['signed.jpg', 'untrusted.jpg']) { const i = document.createElement('img'); i.id = 'feed-' + (n++); i.alt = f; i.src = f; document.getElementById('feed').appendChild(i); } } });
</script></body></html>`);
  fs.writeFileSync(W('optout.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="CR-allow-UI-injection" content="false"><title>no injected UI</title>
<style>img{width:240px;height:180px;display:block}</style></head>
<body><h1>No badges here, please</h1><img id="a" src="signed.jpg" alt="a"><img id="b" src="tampered.jpg" alt="b"></body></html>`);

  await test('extension: auto-scan verifies <picture>/srcset (the chosen source), CSS backgrounds, video posters, MP4 video and M4A audio; boxes in the grid do not move', async () => {
    await sw.evaluate(() => chrome.storage.local.set({ autoScan: false }));
    const pg = await ctx.newPage();
    const url = site.url + '/fixtures/shapes.html';
    await pg.goto(url);
    await pg.waitForFunction(() => [...document.images].filter((i) => i.loading !== 'lazy').every((i) => i.complete) &&
      ['video', 'audio', 'wav'].every((id) => document.getElementById(id).readyState >= 1), null, { timeout: 30_000 });
    const before = await pg.evaluate(BOXES);
    const current = await pg.evaluate(() => [document.getElementById('picture').currentSrc, document.getElementById('srcset').currentSrc]);
    // Chromium may take a cached 2x candidate at 1x: the mark follows whatever it chose.
    assert(current[0].endsWith('/signed.jpg') && /\/(untrusted|hires)\.jpg$/.test(current[1]), 'the browser chose: ' + current);
    const srcsetState = current[1].endsWith('/untrusted.jpg') ? 'valid' : 'invalid';
    await sw.evaluate(() => chrome.storage.local.set({ autoScan: true }));
    await waitMarks(pg, { picture: 'trusted', srcset: srcsetState, bg: 'invalid', poster: 'trusted', video: STATE[videoVerdict], audio: STATE[audioVerdict] }, 90_000);
    const got = await tabEntries(url);
    for (const [end, want] of [['/signed.jpg', 'trusted'], [current[1].slice(current[1].lastIndexOf('/')), srcsetState === 'valid' ? 'valid' : 'invalid'],
      ['/tampered.jpg', 'invalid'], ['/edited.jpg', 'trusted'],
      ['/video1.mp4', videoVerdict], ['/truepic-lens-ios-audio.m4a', audioVerdict]]) {
      const e = got.find((x) => x.src.endsWith(end));
      assert(e && e.verdict === want, `${end}: ${JSON.stringify(e)} (the CLI says ${want})`);
    }
    const notChosen = current[1].endsWith('/untrusted.jpg') ? '/hires.jpg' : '/untrusted.jpg';
    assert(!got.some((x) => x.src.endsWith('/unsigned.jpg') || x.src.endsWith(notChosen)),
      'the candidates the browser did not choose are not verified: ' + JSON.stringify(got));
    assert(!got.some((x) => x.src.endsWith('/tone.wav')), 'WAV audio (not a format the verifier reads) is skipped: ' + JSON.stringify(got));
    const wavMark = (await cdpReader(pg, ['wav'])).wav;
    assert(wavMark === null, 'no mark over the WAV player: ' + JSON.stringify(wavMark));
    assertSameBoxes(before, await pg.evaluate(BOXES), assert, 'grid');
    await pg.screenshot({ path: path.join(artifacts, 'extension-scan-grid.png') });

    // Lazy, late and infinite-scroll pictures: picked up when they come, nothing moves.
    await pg.evaluate(() => scrollTo(0, document.body.scrollHeight));
    await pg.waitForFunction(() => document.getElementById('feed').children.length === 2 && document.getElementById('late-img') &&
      [...document.images].every((i) => i.complete), null, { timeout: 20_000 });
    await pg.evaluate(() => scrollTo(0, document.body.scrollHeight));
    const below = await pg.evaluate(BOXES);
    await waitMarks(pg, { lazy: 'trusted', 'late-img': 'trusted', 'feed-0': 'trusted', 'feed-1': 'valid' }, 60_000);
    assertSameBoxes(below, await pg.evaluate(BOXES), assert, 'lazy, late and appended pictures');
    await pg.screenshot({ path: path.join(artifacts, 'extension-scan-infinite.png') });
    await sw.evaluate(() => chrome.storage.local.set({ autoScan: false }));
    await pg.close();
  });

  await test('extension: a page with <meta name="CR-allow-UI-injection" content="false"> gets no marks; the toolbar popup still lists its results', async () => {
    await sw.evaluate(() => chrome.storage.local.set({ autoScan: true }));
    const pg = await ctx.newPage();
    const url = site.url + '/fixtures/optout.html';
    await pg.goto(url);
    const got = await waitEntries(url, 2);
    assert(got.some((e) => e.src.endsWith('/signed.jpg') && e.verdict === 'trusted') && got.some((e) => e.src.endsWith('/tampered.jpg') && e.verdict === 'invalid'),
      'both verified: ' + JSON.stringify(got));
    await new Promise((r) => setTimeout(r, 500));
    const injected = await pg.evaluate(() => ({ hosts: document.querySelectorAll('provenant-badge').length,
      kids: [...document.documentElement.children].map((e) => e.localName) }));
    assert(injected.hosts === 0 && JSON.stringify(injected.kids) === '["head","body"]', 'nothing injected: ' + JSON.stringify(injected));
    const tabId = await sw.evaluate(async (url) => (await chrome.tabs.query({ url }))[0].id, url);
    const d = await ctx.newPage();
    await d.goto(`chrome-extension://${extId}/details.html?tab=${tabId}`);
    await d.locator('.pv-entry').nth(1).waitFor({ timeout: 10_000 });
    const badges = await d.locator('.pv-badge').allTextContents();
    assert(badges.some((b) => b.includes('Trusted')) && badges.some((b) => b.includes('Invalid')), 'popup lists: ' + JSON.stringify(badges));
    await pg.screenshot({ path: path.join(artifacts, 'extension-optout-page.png') });
    await d.screenshot({ path: path.join(artifacts, 'extension-optout-popup.png'), fullPage: true });
    await d.close();
    await sw.evaluate(() => chrome.storage.local.set({ autoScan: false }));
    await pg.close();
  });
}

/** A mono 16-bit PCM WAV file: seconds of a 440 Hz tone. */
function wav(rate, seconds) {
  const n = Math.round(rate * seconds);
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0); b.writeUInt32LE(36 + n * 2, 4); b.write('WAVE', 8);
  b.write('fmt ', 12); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
  b.write('data', 36); b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return b;
}
