// Shared renderer of a provenant verification report (docs/report.schema.json), used by the
// verifier page and by the extension's content script. Pure DOM-building functions: they take a
// report (or an error) and return elements; they touch no global state.
//
// SECURITY: every string in a report comes from a manifest inside an untrusted file and is
// hostile. This file builds the DOM with createElement + textContent ONLY. Never use innerHTML,
// outerHTML, insertAdjacentHTML, document.write or attribute-based URLs with report data here or
// in any caller. Links (status code URLs) are shown as text, never made clickable.
//
// A classic script (no `export`): the extension injects it as a content script, where ES modules
// are not available. It publishes its API as globalThis.ProvenantRender.
(function (global) {
  'use strict';

  const VERDICTS = {
    trusted: { cls: 'trusted', label: 'Trusted', icon: '✔',
      text: 'Content credentials are intact and the signer chains to one of your trust anchors.' },
    valid: { cls: 'valid', label: 'Signed, unknown signer', icon: '?',
      text: 'Content credentials are intact, but the signer is not one of your trust anchors.' },
    invalid: { cls: 'invalid', label: 'Invalid', icon: '✖',
      text: 'Something is broken: the picture or its credentials were changed after signing.' },
    no_manifest: { cls: 'none', label: 'No content credentials', icon: '–',
      text: 'This file carries no C2PA content credentials.' },
  };

  const AI_SOURCE_TYPES = ['trainedAlgorithmicMedia', 'compositeWithTrainedAlgorithmicMedia',
    'algorithmicMedia', 'compositeSynthetic'];

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function verdictInfo(verdict) {
    return VERDICTS[verdict] || { cls: 'invalid', label: 'Unknown verdict', icon: '!',
      text: 'The verifier returned a verdict this page does not know.' };
  }

  /** Short name of an IPTC digital source type URL. */
  function sourceTypeName(url) {
    if (!url) return null;
    const s = String(url);
    const i = s.lastIndexOf('/');
    return i >= 0 ? s.slice(i + 1) : s;
  }

  function isAiStep(step) {
    if (step.ai_generated) return true;
    const names = [sourceTypeName(step.digital_source_type)]
      .concat((step.actions || []).map((a) => sourceTypeName(a.digital_source_type)));
    return names.some((n) => n && AI_SOURCE_TYPES.includes(n));
  }

  function formatTime(t) {
    if (!t) return null;
    const d = new Date(t);
    if (Number.isNaN(d.getTime())) return String(t);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', ' UTC');
  }

  function signerName(step) {
    const s = (step && step.signer) || {};
    return s.common_name || s.issuer || 'unknown signer';
  }

  function toolOf(step) {
    const agents = (step.actions || []).map((a) => a.software_agent).filter(Boolean);
    return agents[0] || step.claim_generator || null;
  }

  /** The badge: a small pill with the verdict. */
  function renderBadge(report) {
    const info = verdictInfo(report && report.verdict);
    const b = el('span', 'pv-badge pv-badge-' + info.cls);
    b.setAttribute('data-verdict', (report && report.verdict) || 'unknown');
    b.appendChild(el('span', 'pv-badge-icon', info.icon));
    b.appendChild(el('span', 'pv-badge-label', info.label));
    b.title = info.text;
    return b;
  }

  function row(dl, name, value, cls) {
    const dt = el('dt', null, name);
    const dd = el('dd', cls || null, value === null || value === undefined ? '—' : value);
    dl.appendChild(dt);
    dl.appendChild(dd);
    return dd;
  }

  /** Why a step's anchor is where it is: the verifier's anchor.* explanation (not for "unchecked"). */
  function anchorNote(report, index) {
    const c = ((report && report.codes) || []).find((x) => x && x.step === index &&
      typeof x.code === 'string' && x.code.startsWith('anchor.') && x.code !== 'anchor.unchecked' && x.explanation);
    return c ? String(c.explanation) : null;
  }

  function anchorClass(anchor) {
    const st = String(anchor && anchor.status);
    return /^[a-z_]{1,20}$/.test(st) ? 'pv-anchor-' + st : 'pv-anchor-other';
  }

  function anchorText(anchor, report, index) {
    if (!anchor) return 'not anchored';
    const when = formatTime(anchor.time);
    const who = anchor.publisher_name || anchor.publisher;
    const note = report ? anchorNote(report, index) : null;
    const base = 'block ' + anchor.block_number + ' on chain ' + anchor.chain_id +
      (when ? ', ' + when : '') + (who ? ', by ' + who : '');
    switch (anchor.status) {
      case 'anchored':
        return 'Anchored: ' + (when || 'unknown time') + ' in block ' + anchor.block_number +
          ' by ' + (who || 'unknown publisher') + ' (chain ' + anchor.chain_id + ')';
      case 'unchecked': return 'anchored (proof not checked): ' + base + (note ? ' — ' + note : '');
      case 'pending': return 'pending (not final): block ' + anchor.block_number + ' on chain ' + anchor.chain_id +
        (when ? ', ' + when : '') + (who ? ', by ' + who : '');
      case 'not_found': return 'NOT confirmed on chain' + (note ? ': ' + note : '');
      case 'invalid': return 'anchor proof INVALID' + (note ? ': ' + note : '');
      case 'key_compromised': return 'signing key reported COMPROMISED' + (note ? ': ' + note : '');
      default: return 'anchor status: ' + anchor.status;
    }
  }

  /** Failure codes that belong to no chain step (e.g. an unreadable manifest). */
  function fileFailures(report) {
    const steps = new Set((report.chain || []).map((s) => s.index));
    return (report.codes || [])
      .filter((c) => c.kind === 'failure' && (c.step === null || c.step === undefined || !steps.has(c.step)))
      .map((c) => c.code + (c.explanation ? ': ' + c.explanation : ''));
  }

  /** The summary: who signed, when, with what tool, AI or not, anchoring, blacklist. */
  function renderSummary(report, opts) {
    const box = el('section', 'pv-summary');
    const info = verdictInfo(report.verdict);
    const head = el('div', 'pv-summary-head');
    head.appendChild(renderBadge(report));
    head.appendChild(el('p', 'pv-verdict-text', info.text));
    box.appendChild(head);

    const dl = el('dl', 'pv-facts');
    if (report.file) row(dl, 'File', report.file, 'pv-file');
    row(dl, 'Format', report.format + ', ' + report.size + ' bytes');
    const chain = report.chain || [];
    if (chain.length === 0) {
      box.appendChild(dl);
      const failures = fileFailures(report);
      if (failures.length) {
        const fl = el('ul', 'pv-failures');
        failures.forEach((f) => fl.appendChild(el('li', 'pv-failure', f)));
        box.appendChild(el('h4', null, 'Failures'));
        box.appendChild(fl);
      }
      return box;
    }
    const active = chain[0];
    const origin = chain[chain.length - 1];
    const signer = row(dl, 'Signed by', signerName(active), 'pv-signer');
    if (active.signer && active.signer.issuer && active.signer.issuer !== active.signer.common_name) {
      signer.appendChild(el('span', 'pv-muted', ' (issued by ' + active.signer.issuer + ')'));
    }
    row(dl, 'Signer trust', active.trust === 'trusted' ? 'one of your trust anchors'
      : active.trust === 'untrusted' ? 'not one of your trust anchors' : 'unknown', 'pv-trust');
    const when = formatTime(active.time);
    row(dl, 'Signed', when ? when + (active.time_source === 'time_stamp'
      ? ' (time-stamped)' : ' (claimed by the signer)') : null, 'pv-when');
    row(dl, 'Tool', toolOf(active), 'pv-tool');
    const ai = chain.some(isAiStep);
    row(dl, 'AI-generated', ai ? 'yes: a step says the content was generated by AI' : 'no (none declared)',
      ai ? 'pv-ai pv-ai-yes' : 'pv-ai');
    const how = sourceTypeName(origin.digital_source_type);
    if (how) row(dl, 'Made as', how, 'pv-source');
    row(dl, 'Edit steps', String(chain.length), 'pv-steps');
    const anchored = chain.find((s) => s.anchor) || null;
    const anchorRow = row(dl, 'Anchored', anchorText(anchored && anchored.anchor, report, anchored && anchored.index),
      'pv-anchor' + (anchored ? ' ' + anchorClass(anchored.anchor) : ''));
    if (anchored && chain.filter((s) => s.anchor).length > 1) {
      anchorRow.appendChild(el('span', 'pv-muted', ' (step ' + anchored.index + '; every anchored step is in the chain below)'));
    }
    if (opts && opts.anchorError) row(dl, 'Anchor check', String(opts.anchorError), 'pv-anchor-error');
    row(dl, 'Camera blacklist', 'not checked', 'pv-blacklist');
    box.appendChild(dl);

    const failures = [];
    chain.forEach((s) => (s.failures || []).forEach((f) => failures.push('step ' + s.index + ': ' + f)));
    failures.push(...fileFailures(report));
    if (failures.length) {
      const fl = el('ul', 'pv-failures');
      failures.forEach((f) => fl.appendChild(el('li', 'pv-failure', f)));
      box.appendChild(el('h4', null, 'Failures'));
      box.appendChild(fl);
    }
    return box;
  }

  function renderStep(report, step) {
    const li = el('li', 'pv-step pv-step-' + step.status);
    li.setAttribute('data-step', String(step.index));
    const head = el('div', 'pv-step-head');
    head.appendChild(el('span', 'pv-step-status pv-status-' + step.status, step.status));
    head.appendChild(el('span', 'pv-step-title', step.title || step.manifest));
    head.appendChild(el('span', 'pv-muted', ' — ' + step.relationship + ', signed by ' + signerName(step) +
      (step.time ? ', ' + formatTime(step.time) : '')));
    li.appendChild(head);

    const acts = el('ul', 'pv-actions');
    (step.actions || []).forEach((a) => {
      let t = a.action;
      if (a.software_agent) t += ' by ' + a.software_agent;
      const src = sourceTypeName(a.digital_source_type);
      if (src) t += ' (' + src + ')';
      if (a.parameters && typeof a.parameters === 'object' && !Array.isArray(a.parameters)) {
        // Ingredient links are hashes: noise for a reader; the tree already shows the ingredients.
        const shown = Object.fromEntries(Object.entries(a.parameters).filter(([k]) => !/^ingredients?$/.test(k)));
        if (Object.keys(shown).length) {
          try { t += ' ' + JSON.stringify(shown).slice(0, 200); } catch (_) { /* ignore */ }
        }
      }
      acts.appendChild(el('li', 'pv-action', t));
    });
    if (acts.childNodes.length) li.appendChild(acts);

    const stepFailures = (step.failures || []).slice();
    (report.codes || []).forEach((c) => {
      // As in the CLI's tree: trust is already in the step's status, and the trust an
      // earlier signer recorded for an ingredient reflects its trust list, not yours.
      const recordedTrust = c.origin === 'ingredient_record' && String(c.code).startsWith('signingCredential.');
      if (c.step === step.index && c.kind === 'failure' && !recordedTrust && !stepFailures.includes(c.code)) {
        stepFailures.push(c.code);
      }
    });
    if (stepFailures.length) {
      const fl = el('ul', 'pv-failures');
      stepFailures.forEach((code) => {
        const explanation = (report.codes || []).find((c) => c.code === code && c.step === step.index);
        fl.appendChild(el('li', 'pv-failure',
          code + (explanation && explanation.explanation ? ': ' + explanation.explanation : '')));
      });
      li.appendChild(fl);
    }
    if (step.anchor) {
      li.appendChild(el('div', 'pv-step-anchor ' + anchorClass(step.anchor),
        anchorText(step.anchor, report, step.index)));
    }
    return li;
  }

  /** The full chain as a tree (parent → ingredients), every step with status and failures. */
  function renderChain(report) {
    const box = el('section', 'pv-chain');
    const chain = report.chain || [];
    box.appendChild(el('h4', null, 'Edit chain (' + chain.length + (chain.length === 1 ? ' step)' : ' steps)')));
    const byParent = new Map();
    chain.forEach((s) => {
      const k = s.parent === null || s.parent === undefined ? -1 : s.parent;
      if (!byParent.has(k)) byParent.set(k, []);
      byParent.get(k).push(s);
    });
    const seen = new Set();
    function build(parentKey, depth) {
      const ul = el('ul', 'pv-tree');
      (byParent.get(parentKey) || []).forEach((s) => {
        if (seen.has(s.index) || depth > 64) return; // hostile cycles
        seen.add(s.index);
        const li = renderStep(report, s);
        if (byParent.has(s.index)) li.appendChild(build(s.index, depth + 1));
        ul.appendChild(li);
      });
      return ul;
    }
    const tree = build(-1, 0);
    // Steps whose parent is missing still get shown.
    chain.forEach((s) => { if (!seen.has(s.index)) tree.appendChild(renderStep(report, s)); });
    box.appendChild(tree);
    return box;
  }

  /** Badge + summary + chain, in one container. opts: {anchorError?} (a failed on-chain check). */
  function renderReport(report, opts) {
    const box = el('div', 'pv-report pv-report-' + verdictInfo(report.verdict).cls);
    box.setAttribute('data-verdict', report.verdict);
    box.appendChild(renderSummary(report, opts));
    if ((report.chain || []).length) box.appendChild(renderChain(report));
    return box;
  }

  /** A "could not verify" box for {code, message} errors and page-level problems. */
  function renderError(err) {
    const box = el('div', 'pv-error');
    box.setAttribute('role', 'alert');
    box.appendChild(el('strong', null, 'Could not verify: '));
    box.appendChild(el('span', 'pv-error-message', (err && err.message) || String(err)));
    if (err && err.code) box.appendChild(el('span', 'pv-muted', ' (' + err.code + ')'));
    return box;
  }

  /** Styles of the elements above, for shadow roots (static text, no report data). */
  const CSS = `
.pv-badge{display:inline-flex;align-items:center;gap:.35em;font:600 12px/1.4 system-ui,sans-serif;
  padding:2px 8px;border-radius:999px;color:#fff;white-space:nowrap;box-shadow:0 1px 3px rgba(0,0,0,.35)}
.pv-badge-trusted{background:#1b7f3a}.pv-badge-valid{background:#a86b00}
.pv-badge-invalid{background:#b3261e}.pv-badge-none{background:#5f6368}
.pv-report,.pv-error{font:14px/1.45 system-ui,sans-serif;color:#1f1f1f}
.pv-summary-head{display:flex;gap:.75em;align-items:center;flex-wrap:wrap}
.pv-verdict-text{margin:.25em 0}
.pv-facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.75em 0}
.pv-facts dt{font-weight:600;color:#444}.pv-facts dd{margin:0;overflow-wrap:anywhere}
.pv-muted{color:#666}.pv-ai-yes{color:#8a1c7c;font-weight:600}
.pv-failures{color:#b3261e;margin:.25em 0;padding-left:1.2em}.pv-failure{overflow-wrap:anywhere}
.pv-tree{list-style:none;padding-left:1.1em;border-left:2px solid #ddd;margin:.3em 0}
.pv-step{margin:.4em 0}.pv-step-title{font-weight:600;margin:0 .3em;overflow-wrap:anywhere}
.pv-step-status{font:600 11px system-ui;text-transform:uppercase;padding:1px 6px;border-radius:4px;color:#fff}
.pv-status-trusted{background:#1b7f3a}.pv-status-valid{background:#a86b00}.pv-status-invalid{background:#b3261e}
.pv-actions{margin:.2em 0;padding-left:1.2em;color:#333;font-size:13px}
.pv-action{overflow-wrap:anywhere}
.pv-anchor-anchored{color:#1b7f3a}.pv-anchor-not_found,.pv-anchor-invalid,.pv-anchor-key_compromised,
.pv-anchor-error{color:#b3261e}.pv-anchor-pending{color:#a86b00}
.pv-error{border:1px solid #b3261e;background:#fdecea;padding:.6em .8em;border-radius:6px}
`;

  function styleElement() {
    const s = document.createElement('style');
    s.textContent = CSS;
    return s;
  }

  global.ProvenantRender = Object.freeze({
    verdictInfo, renderBadge, renderSummary, renderChain, renderReport, renderError,
    styleElement, CSS, isAiStep, formatTime,
  });
})(globalThis);
