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
