// Progressive enhancement only: every page works without this file.
document.addEventListener('DOMContentLoaded', () => {
  // Move focus to an error summary so screen readers announce it and keyboard users land on it.
  const summary = document.querySelector('[data-focus]');
  if (summary instanceof HTMLElement) summary.focus();

  // Copy buttons: <button type="button" data-copy="element-id">Copy</button>
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      const target = document.getElementById(button.getAttribute('data-copy') ?? '');
      if (!target) return;
      try {
        await navigator.clipboard.writeText(target.textContent?.trim() ?? '');
        const label = button.textContent;
        button.textContent = 'Copied';
        setTimeout(() => {
          button.textContent = label;
        }, 2000);
      } catch {
        const range = document.createRange();
        range.selectNodeContents(target);
        const selection = window.getSelection();
        selection?.removeAllRanges();
        selection?.addRange(range);
      }
    });
  }
});
