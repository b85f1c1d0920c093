// The two banners at the top of a page: `.banner` (an error, role=alert) and `.banner-ok`
// (a done message, role=status). One shows at a time; no text hides both.

/** Shows `text` in `root`'s error banner, or in its done banner when `ok`. */
export function sayIn(root, text, ok = false) {
  const error = root.querySelector('.banner');
  const notice = root.querySelector('.banner-ok');
  error.hidden = ok || !text;
  notice.hidden = !ok || !text;
  (ok ? notice : error).textContent = text ?? '';
}

// Every page's banners can be closed (×). A closed page banner (not a form's) stays closed for
// the rest of the session when the same text comes back on the same page: a stale notice
// that reappears on every refresh is read once. Watched from one place, so pages need no code.
const DISMISSED = 'jarvis.dismissedBanners';

function dismissedSet() {
  try { return new Set(JSON.parse(sessionStorage.getItem(DISMISSED) ?? '[]')); } catch { return new Set(); }
}

function remember(id) {
  const set = dismissedSet();
  set.add(id);
  try { sessionStorage.setItem(DISMISSED, JSON.stringify([...set].slice(-200))); } catch { /* private mode: this page only */ }
}

const messageOf = (banner) => [...banner.childNodes].filter((node) => !node.classList?.contains('banner-close'))
  .map((node) => node.textContent).join('').trim();
const idOf = (text) => `${location.hash.split('?')[0]}|${text}`;

function tend(banner, label) {
  if (banner.hidden) return;
  const text = messageOf(banner);
  if (!text) return;
  const remembered = !banner.closest('form, dialog');
  if (remembered && dismissedSet().has(idOf(text))) { banner.hidden = true; return; }
  if (banner.querySelector(':scope > .banner-close')) return;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'ghost banner-close';
  close.dataset.testid = 'banner-close';
  close.textContent = '×';
  close.setAttribute('aria-label', label());
  close.title = label();
  close.addEventListener('click', () => {
    if (remembered) remember(idOf(messageOf(banner)));
    banner.hidden = true;
  });
  banner.append(close);
}

/** Watches `root` for banners that show text and gives each its close button; `label()` names it. */
export function watchBanners(root, label) {
  const BANNERS = '.banner, .banner-ok';
  new MutationObserver((records) => {
    const seen = new Set();
    const visit = (banner) => { if (!seen.has(banner)) { seen.add(banner); tend(banner, label); } };
    for (const record of records) {
      const element = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const banner = element?.closest?.(BANNERS);
      if (banner) visit(banner);
      for (const node of record.addedNodes) if (node.nodeType === 1) node.querySelectorAll(BANNERS).forEach(visit);
    }
  }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['hidden'] });
}
