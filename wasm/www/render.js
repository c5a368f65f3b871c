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

  // The reader's language (i18n.js); without it (it is loaded everywhere this file is) the keys show.
  const T = (key, ...subs) => (global.ProvenantI18n ? global.ProvenantI18n.t(key, ...subs) : key);

  // label and text are message keys (translated when shown).
  const VERDICTS = {
    trusted: { cls: 'trusted', label: 'verdictTrusted', icon: '✔', text: 'verdictTrustedText' },
    valid: { cls: 'valid', label: 'verdictValid', icon: '?', text: 'verdictValidText' },
    invalid: { cls: 'invalid', label: 'verdictInvalid', icon: '✖', text: 'verdictInvalidText' },
    no_manifest: { cls: 'none', label: 'verdictNone', icon: '–', text: 'verdictNoneText' },
    not_checked: { cls: 'none', label: 'verdictNotChecked', icon: '◌', text: 'verdictNotCheckedText' },
  };

  const AI_SOURCE_TYPES = ['trainedAlgorithmicMedia', 'compositeWithTrainedAlgorithmicMedia',
    'algorithmicMedia', 'compositeSynthetic'];

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  /** {cls, icon, label, text} of a verdict, label and text in the reader's language. */
  function verdictInfo(verdict) {
    const v = VERDICTS[verdict] || { cls: 'invalid', label: 'verdictUnknown', icon: '!', text: 'verdictUnknownText' };
    return { cls: v.cls, icon: v.icon, get label() { return T(v.label); }, get text() { return T(v.text); } };
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

  /** A time in the reader's locale and time zone (i18n.js), ISO 8601 without it. */
  function formatTime(t) {
    if (!t) return null;
    if (global.ProvenantI18n) return global.ProvenantI18n.formatTime(t);
    const d = new Date(t);
    return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
  }

  function signerName(step) {
    const s = (step && step.signer) || {};
    return s.common_name || s.issuer || T('unknownSigner');
  }

  function toolOf(step) {
    const agents = (step.actions || []).map((a) => a.software_agent).filter(Boolean);
    return agents[0] || step.claim_generator || null;
  }

  /** The badge: a small pill with the verdict — a red "Blacklisted" one when a blacklist you
   * trust lists the picture's camera or signer, whatever the verdict (data-verdict keeps it). */
  function renderBadge(report) {
    const info = verdictInfo(report && report.verdict);
    const listed = isBlacklisted(report);
    const b = el('span', 'pv-badge pv-badge-' + (listed ? 'blacklisted' : info.cls));
    b.setAttribute('data-verdict', (report && report.verdict) || 'unknown');
    if (listed) b.setAttribute('data-blacklisted', 'true');
    const icon = b.appendChild(el('span', 'pv-badge-icon', listed ? '⊘' : info.icon));
    icon.setAttribute('aria-hidden', 'true');
    b.appendChild(el('span', 'pv-badge-label', listed ? T('badgeBlacklisted') : info.label));
    b.title = listed ? T('badgeBlacklistedTitle', info.label) : info.text;
    return b;
  }

  // ---- camera / signer blacklist ----
  /** True when the verifier matched a step against a blacklist entry. */
  function isBlacklisted(report) {
    if (!report || typeof report !== 'object') return false;
    return report.blacklisted === true || blacklistHits(report).length > 0;
  }

  /** Every hit of every step: [{step, hit}]. */
  function blacklistHits(report) {
    const out = [];
    (Array.isArray(report && report.chain) ? report.chain : []).forEach((s) => {
      const bl = s && s.blacklist;
      if (bl && bl.status === 'listed' && Array.isArray(bl.hits)) {
        bl.hits.forEach((h) => { if (h && typeof h === 'object') out.push({ step: s.index, hit: h }); });
      }
    });
    return out;
  }

  /** The UTC date of an epoch (day number), e.g. "20414 (2025-11-21)". */
  function epochDay(epoch) {
    const n = Number(epoch);
    if (!Number.isInteger(n) || n < 0 || n > 2_000_000) return String(epoch);
    return n + ' (' + new Date(n * 86_400_000).toISOString().slice(0, 10) + ')';
  }

  /** "<reason> (curator set N, entry M, from day …)" for one hit. */
  function hitText(hit) {
    const where = [T('hitCuratorSet', hit.curator_set), T('hitEntry', hit.entry)];
    if (hit.kind === 'device' && hit.start_epoch !== null && hit.start_epoch !== undefined) {
      where.push(T('hitFromDay', epochDay(hit.start_epoch)));
    }
    if (hit.kind === 'certificate') {
      where.push(T('hitSignerCert') + (hit.fingerprint ? ' ' + String(hit.fingerprint).slice(0, 16) + '…' : ''));
    }
    const reason = hit.reason === null || hit.reason === undefined || hit.reason === '' ? T('hitNoReason') : String(hit.reason);
    return reason + ' (' + where.join(', ') + ')';
  }

  /** Where the blacklist came from. */
  function blacklistSourceText(report) {
    const src = report && report.blacklist_source;
    if (src === null || src === undefined || src === '') return T('blacklistWord');
    return String(src);
  }

  /** {cls, text} of the summary's "Camera blacklist" row. */
  function blacklistSummary(report) {
    const hits = blacklistHits(report);
    const steps = (report && report.chain) || [];
    if (hits.length) {
      const first = hits[0];
      const more = hits.length - 1;
      return { cls: 'pv-blacklist pv-blacklist-listed',
        text: T('blListed', hitText(first.hit)) + (steps.length > 1 ? T('blStep', first.step) : '') +
          (more > 0 ? T('blMore', more) : '') };
    }
    if (report && report.blacklisted === true) {
      return { cls: 'pv-blacklist pv-blacklist-listed', text: T('blListedFrom', blacklistSourceText(report)) };
    }
    const checked = steps.some((s) => s && s.blacklist && s.blacklist.status === 'clear');
    if (checked || (report && report.blacklist_source)) {
      return { cls: 'pv-blacklist pv-blacklist-clear', text: T('blClear', blacklistSourceText(report)) };
    }
    return { cls: 'pv-blacklist pv-blacklist-not_checked', text: T('blNotChecked') };
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
    if (!anchor) return T('anchorNone');
    const when = formatTime(anchor.time);
    // The address always: a registered name is not unique and proves nothing by itself.
    const who = anchor.publisher_name && anchor.publisher
      ? anchor.publisher_name + ' (' + anchor.publisher + ')'
      : anchor.publisher_name || anchor.publisher;
    const note = report ? anchorNote(report, index) : null;
    const base = T('anchorBlock', anchor.block_number, anchor.chain_id) +
      (when ? ', ' + when : '') + (who ? ', ' + T('anchorBy', who) : '');
    switch (anchor.status) {
      case 'anchored':
        return T('anchorAnchored', when || T('unknownTime'), anchor.block_number, who || T('unknownPublisher'), anchor.chain_id);
      case 'unchecked': return T('anchorUnchecked', base) + (note ? ' — ' + note : '');
      case 'pending': return T('anchorPending', base);
      case 'not_found': return T('anchorNotFound') + (note ? ': ' + note : '');
      case 'invalid': return T('anchorInvalid') + (note ? ': ' + note : '');
      case 'key_compromised': return T('anchorCompromised') + (note ? ': ' + note : '');
      default: return T('anchorStatus', anchor.status);
    }
  }

  /** Failure codes that belong to no chain step (e.g. an unreadable manifest). */
  function fileFailures(report) {
    const steps = new Set((report.chain || []).map((s) => s.index));
    return (report.codes || [])
      .filter((c) => c.kind === 'failure' && (c.step === null || c.step === undefined || !steps.has(c.step)))
      .map((c) => c.code + (c.explanation ? ': ' + c.explanation : ''));
  }

  /** The "Policy" row: what the core's policy (the same as the CLI's, batch's and serve's) says
   * of the report — passes, or fails with its reasons. */
  function policyRow(dl, policy) {
    if (!policy || typeof policy.passed !== 'boolean') return;
    const reasons = Array.isArray(policy.reasons) ? policy.reasons.map((r) => String(r.message)) : [];
    row(dl, T('rowPolicy'), policy.passed ? T('policyPasses')
      : T('policyFails', reasons.join('; ')), 'pv-policy ' + (policy.passed ? 'pv-policy-pass' : 'pv-policy-fail'));
  }

  /** The summary: who signed, when, with what tool, AI or not, anchoring, blacklist. */
  function renderSummary(report, opts) {
    const box = el('section', 'pv-summary');
    const info = verdictInfo(report.verdict);
    const head = el('div', 'pv-summary-head');
    head.appendChild(renderBadge(report));
    head.appendChild(el('p', 'pv-verdict-text', isBlacklisted(report)
      ? T('listedBesides', info.text) : info.text));
    box.appendChild(head);

    const dl = el('dl', 'pv-facts');
    if (report.file) row(dl, T('rowFile'), report.file, 'pv-file');
    row(dl, T('rowFormat'), T('formatSize', report.format, report.size));
    const kept = (code) => (report.codes || []).find((c) => c && c.code === code && typeof c.url === 'string');
    // Where the manifest store came from when it is not in the file (embedded: no row). `external`: what
    // the extension's opt-in lookup did ({kind, url, state, error?}: ProvenantExternal.find).
    const external = opts && opts.external && typeof opts.external === 'object' ? opts.external : null;
    const remote = kept('manifest.remote');
    if (remote) {
      const failed = external && external.kind === 'remote' && external.error;
      row(dl, T('rowRemote'), failed ? T('remoteFetchFailed', remote.url.slice(0, 500), String(external.error).slice(0, 300))
        : T('remoteNotFetched', remote.url.slice(0, 500)), 'pv-remote');
    }
    const fetched = kept('manifest.fetched');
    if (fetched) row(dl, T('rowSidecar'), T('remoteFetched', fetched.url.slice(0, 500)), 'pv-remote-fetched');
    const sidecar = kept('manifest.sidecar');
    if (sidecar) row(dl, T('rowSidecar'), T('sidecarRead', sidecar.url.slice(0, 500)), 'pv-sidecar');
    if (external && external.kind === 'sidecar' && external.state !== 'found' && external.state !== 'absent') {
      row(dl, T('rowSidecar'), T('sidecarFetchFailed', String(external.url).slice(0, 500), String(external.error || '').slice(0, 300)),
        'pv-sidecar-error');
    }
    policyRow(dl, opts && opts.policy);
    const chain = report.chain || [];
    if (chain.length === 0) {
      box.appendChild(dl);
      const failures = fileFailures(report);
      if (failures.length) {
        const fl = el('ul', 'pv-failures');
        failures.forEach((f) => fl.appendChild(el('li', 'pv-failure', f)));
        box.appendChild(el('h4', null, T('failures')));
        box.appendChild(fl);
      }
      return box;
    }
    const active = chain[0];
    const origin = chain[chain.length - 1];
    const signer = row(dl, T('rowSignedBy'), signerName(active), 'pv-signer');
    if (active.signer && active.signer.issuer && active.signer.issuer !== active.signer.common_name) {
      signer.appendChild(el('span', 'pv-muted', ' ' + T('issuedBy', active.signer.issuer)));
    }
    const vouchers = { your_anchors: 'voucherYourAnchors', c2pa_trust_list: 'voucherC2pa', allowed_list: 'voucherAllowed' };
    row(dl, T('rowSignerTrust'), active.trust === 'trusted'
      ? T('vouchedBy', T(vouchers[active.vouched_by] || 'voucherAny'))
      : active.trust === 'untrusted' ? T('trustNobody') : T('trustUnknown'), 'pv-trust');
    const when = formatTime(active.time);
    row(dl, T('rowSigned'), when ? when + ' ' + (active.time_source === 'time_stamp' ? T('timeStamped')
      : active.time_source === 'untrusted_time_stamp' ? T('timeUntrustedStamp') : T('timeClaimed')) : null, 'pv-when');
    row(dl, T('rowTool'), toolOf(active), 'pv-tool');
    const ai = chain.some(isAiStep);
    row(dl, T('rowAi'), ai ? T('aiYes') : T('aiNo'), ai ? 'pv-ai pv-ai-yes' : 'pv-ai');
    const how = sourceTypeName(origin.digital_source_type);
    if (how) row(dl, T('rowMadeAs'), how, 'pv-source');
    row(dl, T('rowSteps'), String(chain.length), 'pv-steps');
    const anchored = chain.find((s) => s.anchor) || null;
    const anchorRow = row(dl, T('rowAnchored'), anchorText(anchored && anchored.anchor, report, anchored && anchored.index),
      'pv-anchor' + (anchored ? ' ' + anchorClass(anchored.anchor) : ''));
    if (anchored && chain.filter((s) => s.anchor).length > 1) {
      anchorRow.appendChild(el('span', 'pv-muted', ' ' + T('anchoredStepNote', anchored.index)));
    }
    if (opts && opts.anchorError) row(dl, T('rowAnchorCheck'), String(opts.anchorError), 'pv-anchor-error');
    const bl = blacklistSummary(report);
    row(dl, T('rowBlacklist'), bl.text, bl.cls);
    if (opts && opts.blacklistError) row(dl, T('rowBlacklistCheck'), String(opts.blacklistError), 'pv-blacklist-error');
    box.appendChild(dl);

    const failures = [];
    chain.forEach((s) => (s.failures || []).forEach((f) => failures.push(T('failureStep', s.index, f))));
    failures.push(...fileFailures(report));
    if (failures.length) {
      const fl = el('ul', 'pv-failures');
      failures.forEach((f) => fl.appendChild(el('li', 'pv-failure', f)));
      box.appendChild(el('h4', null, T('failures')));
      box.appendChild(fl);
    }
    return box;
  }

  function renderStep(report, step, opts) {
    const li = el('li', 'pv-step pv-step-' + step.status);
    li.setAttribute('data-step', String(step.index));
    const head = el('div', 'pv-step-head');
    const statusKey = { trusted: 'statusTrusted', valid: 'statusValid', invalid: 'statusInvalid' }[step.status];
    head.appendChild(el('span', 'pv-step-status pv-status-' + step.status, statusKey ? T(statusKey) : step.status));
    const listed = step.blacklist && step.blacklist.status === 'listed';
    if (listed) {
      li.classList.add('pv-step-blacklisted');
      head.appendChild(el('span', 'pv-step-status pv-status-blacklisted', T('statusBlacklisted')));
    }
    head.appendChild(el('span', 'pv-step-title', step.title || step.manifest));
    head.appendChild(el('span', 'pv-muted', ' — ' + T('stepSignedBy', step.relationship, signerName(step)) +
      (step.time ? ', ' + formatTime(step.time) : '')));
    li.appendChild(head);

    const acts = el('ul', 'pv-actions');
    (step.actions || []).forEach((a) => {
      let t = a.action;
      if (a.software_agent) t += ' ' + T('actionBy', a.software_agent);
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
    renderStepDetails(li, step, opts);

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
    if (listed) {
      const hl = el('ul', 'pv-step-blacklist');
      (Array.isArray(step.blacklist.hits) ? step.blacklist.hits : []).forEach((h) => {
        if (!h || typeof h !== 'object') return;
        hl.appendChild(el('li', 'pv-blacklist-hit', h.kind === 'certificate' ? T('stepListedCert', hitText(h))
          : h.kind === 'device' ? T('stepListedCamera', hitText(h)) : T('stepListedOther', String(h.kind), hitText(h))));
      });
      if (!hl.childNodes.length) hl.appendChild(el('li', 'pv-blacklist-hit', T('stepListed')));
      li.appendChild(hl);
    }
    if (step.anchor) {
      li.appendChild(el('div', 'pv-step-anchor ' + anchorClass(step.anchor),
        anchorText(step.anchor, report, step.index)));
    }
    return li;
  }

  const IDENTITY_STATES = { trusted: 'identityTrusted', untrusted: 'identityUntrusted', invalid: 'identityInvalid',
    unchecked: 'identityUnchecked' };

  /** A step's signed thumbnail, photo metadata, "do not train" and CAWG identities. The
   * thumbnail is shown only from a blob: URL the caller made (never a URL from the report). */
  function renderStepDetails(li, step, opts) {
    const thumbs = opts && opts.thumbnails;
    const src = thumbs && Object.prototype.hasOwnProperty.call(thumbs, step.manifest) ? String(thumbs[step.manifest]) : '';
    if (src.startsWith('blob:')) {
      const img = el('img', 'pv-thumb');
      img.src = src;
      img.alt = T('thumbAlt', step.index);
      img.decoding = 'async';
      li.appendChild(img);
    } else if (step.thumbnail) {
      li.appendChild(el('div', 'pv-thumb-none pv-muted', T('thumbNotShown', String(step.thumbnail).slice(0, 100))));
    }
    const m = step.metadata && typeof step.metadata === 'object' ? step.metadata : null;
    if (m) {
      const dl = el('dl', 'pv-facts pv-metadata');
      const text = (v) => (typeof v === 'string' && v ? v : null);
      const put = (name, value, cls) => { if (value) row(dl, name, value, cls); };
      put(T('metaCaption'), text(m.caption), 'pv-meta-caption');
      const creators = Array.isArray(m.creator) ? m.creator.filter((c) => typeof c === 'string' && c) : [];
      put(T('metaCreator'), creators.join(', '), 'pv-meta-creator');
      put(T('metaCredit'), text(m.credit), 'pv-meta-credit');
      put(T('metaCopyright'), text(m.copyright), 'pv-meta-copyright');
      put(T('metaDateline'), [text(m.city), text(m.country), text(m.date_created)].filter(Boolean).join(', '), 'pv-meta-dateline');
      if (dl.childNodes.length) li.appendChild(dl);
    }
    if (step.do_not_train === true) li.appendChild(el('div', 'pv-dnt', T('doNotTrain')));
    const people = Array.isArray(step.identities) ? step.identities.filter((p) => p && typeof p === 'object') : [];
    if (people.length) {
      const ul = el('ul', 'pv-identities');
      people.slice(0, 32).forEach((p) => {
        const roles = Array.isArray(p.roles) ? p.roles.map((r) => String(r).replace(/^cawg\./, '')).join(', ') : '';
        const state = IDENTITY_STATES[p.state] ? T(IDENTITY_STATES[p.state]) : T('identityUnchecked');
        const item = el('li', 'pv-identity pv-identity-' + (IDENTITY_STATES[p.state] ? p.state : 'unchecked'),
          T('identityLine', typeof p.name === 'string' && p.name ? p.name : T('identityUnnamed'), roles || '—', state));
        ul.appendChild(item);
      });
      li.appendChild(el('div', 'pv-identities-title', T('identitiesTitle')));
      li.appendChild(ul);
    }
  }

  /** The full chain as a tree (parent → ingredients), every step with status and failures. */
  function renderChain(report, opts) {
    const box = el('section', 'pv-chain');
    const chain = report.chain || [];
    box.appendChild(el('h4', null, chain.length === 1 ? T('chainTitleOne') : T('chainTitle', chain.length)));
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
        const li = renderStep(report, s, opts);
        if (byParent.has(s.index)) li.appendChild(build(s.index, depth + 1));
        ul.appendChild(li);
      });
      return ul;
    }
    const tree = build(-1, 0);
    // Steps whose parent is missing still get shown.
    chain.forEach((s) => { if (!seen.has(s.index)) tree.appendChild(renderStep(report, s, opts)); });
    box.appendChild(tree);
    return box;
  }

  /** What the repository the reader configured knows of a picture without credentials (opt-in; see
   * recover.js): a section apart from the file's own verdict, which it never changes. recovery:
   * {state: 'recovered' | 'none' | 'error', judgement?, error?}; thumb: a blob: URL made by the caller. */
  function renderRecovery(recovery, thumb) {
    const box = el('section', 'pv-recovery pv-recovery-' + (['recovered', 'none', 'error'].includes(recovery.state) ? recovery.state : 'error'));
    box.setAttribute('data-recovery', String(recovery.state));
    const head = el('h3', 'pv-recovery-title', T('recoverTitle'));
    head.id = 'pv-recovery-' + Math.random().toString(36).slice(2);
    box.setAttribute('aria-labelledby', head.id);
    box.appendChild(head);
    const j = recovery.judgement || {};
    if (recovery.state === 'recovered') {
      const trust = j.trust === 'trusted' ? T('recoverTrusted') : T('recoverUntrusted');
      box.appendChild(el('p', 'pv-recovery-text', T('recoverFound', String(j.signer || j.issuer || '?').slice(0, 200),
        formatTime(j.time) || T('recoverNoDate'), trust, String(Number(j.distance)), String(Number(j.similarity)))));
      box.appendChild(el('p', 'pv-muted', T('recoverNotThisFile')));
      if (thumb) {
        const img = el('img', 'pv-thumb');
        img.src = thumb;
        img.alt = T('recoverThumbAlt');
        box.appendChild(img);
      }
    } else if (recovery.state === 'none') {
      box.appendChild(el('p', 'pv-recovery-text', T('recoverNone')));
    } else {
      box.appendChild(el('p', 'pv-recovery-text', T('recoverFailed', String(recovery.error || '').slice(0, 300))));
    }
    return box;
  }

  /** Badge + summary + chain, in one container. opts: {anchorError?, blacklistError?} (a failed
   * on-chain check, a blacklist snapshot that could not be used), thumbnails? ({manifest label:
   * blob: URL}, made by the caller from the wasm module's sanitised claim thumbnails). */
  function renderReport(report, opts) {
    const box = el('div', 'pv-report pv-report-' + verdictInfo(report.verdict).cls);
    box.setAttribute('data-verdict', report.verdict);
    if (isBlacklisted(report)) {
      box.classList.add('pv-report-blacklisted');
      box.setAttribute('data-blacklisted', 'true');
    }
    box.appendChild(renderSummary(report, opts));
    if ((report.chain || []).length) box.appendChild(renderChain(report, opts));
    // Only beside "no credentials": a similar signed picture, never this file's own verdict.
    if (opts && opts.recovery && report.verdict === 'no_manifest') box.appendChild(renderRecovery(opts.recovery, opts.recoveryThumbnail));
    return box;
  }

  /** A "could not verify" box for {code, message} errors and page-level problems. */
  function renderError(err) {
    const box = el('div', 'pv-error');
    box.setAttribute('role', 'alert');
    box.appendChild(el('strong', null, T('couldNotVerify') + ' '));
    box.appendChild(el('span', 'pv-error-message', (err && err.message) || String(err)));
    if (err && err.code) box.appendChild(el('span', 'pv-muted', ' (' + err.code + ')'));
    return box;
  }

  /** Styles of the elements above, for shadow roots (static text, no report data). */
  const CSS = `
.pv-badge{display:inline-flex;align-items:center;gap:.35em;font:600 12px/1.4 system-ui,sans-serif;
  padding:2px 8px;border-radius:999px;color:#fff;white-space:nowrap;box-shadow:0 1px 3px rgba(0,0,0,.35)}
.pv-badge-trusted{background:#1b7f3a}.pv-badge-valid{background:#8c5a00}
.pv-badge-invalid{background:#b3261e}.pv-badge-none{background:#5f6368}
.pv-report,.pv-error{font:14px/1.45 system-ui,sans-serif;color:#1f1f1f}
.pv-summary-head{display:flex;gap:.75em;align-items:center;flex-wrap:wrap}
.pv-verdict-text{margin:.25em 0}
.pv-facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.75em 0}
.pv-facts dt{font-weight:600;color:#444}.pv-facts dd{margin:0;overflow-wrap:anywhere}
.pv-muted{color:#666}.pv-ai-yes{color:#8a1c7c;font-weight:600}
.pv-failures{color:#b3261e;margin:.25em 0;padding-inline-start:1.2em}.pv-failure{overflow-wrap:anywhere}
.pv-tree{list-style:none;padding-inline-start:1.1em;border-inline-start:2px solid #ddd;margin:.3em 0}
.pv-step{margin:.4em 0}.pv-step-title{font-weight:600;margin:0 .3em;overflow-wrap:anywhere}
.pv-step-status{font:600 11px system-ui;text-transform:uppercase;padding:1px 6px;border-radius:4px;color:#fff}
.pv-status-trusted{background:#1b7f3a}.pv-status-valid{background:#8c5a00}.pv-status-invalid{background:#b3261e}
.pv-actions{margin:.2em 0;padding-inline-start:1.2em;color:#333;font-size:13px}
.pv-action{overflow-wrap:anywhere}
.pv-anchor-anchored{color:#1b7f3a}.pv-anchor-not_found,.pv-anchor-invalid,.pv-anchor-key_compromised,
.pv-anchor-error{color:#b3261e}.pv-anchor-pending{color:#8c5a00}
.pv-error{border:1px solid #b3261e;background:#fdecea;padding:.6em .8em;border-radius:6px}
.pv-badge-blacklisted{background:#7a0b0b;outline:2px solid #ff5a4f;outline-offset:-1px;text-transform:uppercase;letter-spacing:.03em}
.pv-blacklist-listed{color:#7a0b0b;background:#fde0dd;font-weight:700;padding:0 .3em;border-radius:3px}
.pv-blacklist-clear{color:#1b7f3a}.pv-blacklist-error{color:#b3261e}
.pv-status-blacklisted{background:#7a0b0b;margin-inline-start:.3em}
.pv-thumb{display:block;max-width:160px;max-height:160px;margin:.3em 0;border:1px solid #ccc}
.pv-metadata{margin:.3em 0;font-size:13px}.pv-dnt{color:#8a1c7c;font-weight:600;font-size:13px}
.pv-identities-title{font-weight:600;font-size:13px;margin-top:.2em}
.pv-identities{margin:.1em 0;padding-inline-start:1.2em;font-size:13px}.pv-identity{overflow-wrap:anywhere}
.pv-identity-trusted{color:#1b7f3a}.pv-identity-invalid{color:#b3261e}
.pv-recovery{border:1px dashed #5f6368;border-radius:6px;padding:.4em .8em;margin:.75em 0;background:#f6f7f8}
.pv-recovery-title{font-size:14px;margin:.2em 0}.pv-recovery-text{margin:.25em 0;overflow-wrap:anywhere}
.pv-step-blacklist{color:#7a0b0b;font-weight:600;margin:.2em 0;padding-inline-start:1.2em}.pv-blacklist-hit{overflow-wrap:anywhere}
`;

  function styleElement() {
    const s = document.createElement('style');
    s.textContent = CSS;
    return s;
  }

  global.ProvenantRender = Object.freeze({
    verdictInfo, renderBadge, renderSummary, renderChain, renderReport, renderError,
    styleElement, CSS, isAiStep, formatTime, isBlacklisted, blacklistSummary, renderRecovery,
  });
})(globalThis);
