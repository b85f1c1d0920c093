// The pager under every paged list: "Page n of m" and Previous/Next buttons
// (`[data-page="-1"]`, `[data-page="1"]`) inside `root`.
export function renderPager(root, { total, page, page_size: size }) {
  const pages = Math.max(1, Math.ceil(total / size));
  root.querySelector('.page-info').textContent = `Page ${page} of ${pages}`;
  root.querySelector('[data-page="-1"]').disabled = page <= 1;
  root.querySelector('[data-page="1"]').disabled = page >= pages;
}
