// passphrase.js: the dialog that asks for a key's passphrase before each signature.
// A <dialog> of this page (not window.prompt): it says what is being signed, works
// with the keyboard alone (Enter signs, Escape cancels), and forgets what was typed.
import { h } from './dom.js';

export class Cancelled extends Error {
  constructor() { super('cancelled'); this.name = 'Cancelled'; }
}

export function askPassphrase(keyName, what) {
  return new Promise((resolve, reject) => {
    const input = h('input', { type: 'password', id: 'passphrase', autocomplete: 'current-password', required: true, minlength: 8 });
    const dialog = h('dialog', { class: 'passphrase', 'aria-labelledby': 'passphrase-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'passphrase-title' }, 'Sign with ', h('strong', {}, keyName)),
        h('p', { class: 'what' }, what),
        h('label', { class: 'field' }, h('span', { class: 'label' }, 'Passphrase'), input),
        h('div', { class: 'buttons' },
          h('button', { type: 'submit', value: 'sign', id: 'passphrase-sign' }, 'Sign'),
          h('button', { type: 'button', value: 'cancel', onclick: () => dialog.close('cancel') }, 'Cancel'))));
    dialog.addEventListener('close', () => {
      const value = input.value;
      input.value = '';
      dialog.remove();
      if (dialog.returnValue === 'sign' && value) resolve(value);
      else reject(new Cancelled());
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}
