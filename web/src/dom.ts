// Tiny DOM helpers.

export function $(sel: string, root: ParentNode = document): HTMLElement {
  const el = root.querySelector<HTMLElement>(sel);
  if (!el) throw new Error(`console: missing element ${sel}`);
  return el;
}

/** Shows a short message in the corner (errors of API calls, confirmations). */
export function toast(msg: string, kind: 'error' | 'info' = 'info'): void {
  const box = document.getElementById('toasts');
  if (!box) return;
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  el.textContent = msg;
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

/** Runs `f` once on the next animation frame, however many times it is asked before. */
export function frameThrottle(f: () => void): () => void {
  let id = 0;
  return () => {
    if (!id)
      id = requestAnimationFrame(() => {
        id = 0;
        f();
      });
  };
}

export function canEdit(role: string | undefined): boolean {
  return role === 'admin' || role === 'operator';
}
