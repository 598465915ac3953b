/**
 * Files in a session tab: send one to the customer (a file input, read slice by slice), take or refuse the
 * customer's, see each transfer's progress, cancel it, and save a received file (a download link to a Blob,
 * offered only once its SHA-256 matched). Everything shown is inserted as text (a file name is the sender's).
 */
import { FileTransfers, blobSource, describeSize, type IncomingFile, type OutgoingFile, type SessionConnection } from '../../../sdk/src/browser.js';
import { fileTransferProblem } from '../../../../protocol/file-transfer.js';
import { h, replace } from '../shared/dom.js';

const reasons: Record<string, string> = {
  refused: 'refused',
  cancelled: 'cancelled',
  checksum: 'damaged on the way (checksum mismatch): not saved',
  size: 'stopped: more or fewer bytes than announced',
  revoked: 'stopped: the customer took back "files"',
  left: 'stopped: a connection was lost',
  policy: 'not allowed by the organisation’s policy',
  failed: 'failed',
};

/** The organisation's file policy in one line (the session tab's policy summary). */
export function filePolicyText(policy: NonNullable<SessionConnection['policy']>): string {
  const { maxBytes, directions } = policy.fileTransfer;
  if (maxBytes === 0 || directions.length === 0) return 'Files: not allowed';
  const ways = directions.length === 2 ? 'both ways' : directions[0] === 'to-customer' ? 'to the customer only' : 'from the customer only';
  return `Files: up to ${describeSize(maxBytes)}, ${ways}`;
}

export class FilePanel {
  readonly element: HTMLElement;
  private readonly files: FileTransfers;
  private readonly list: HTMLUListElement;
  private readonly input: HTMLInputElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly hint: HTMLElement;
  private readonly urls: string[] = [];
  private granted = false;

  constructor(private readonly conn: SessionConnection) {
    this.files = new FileTransfers(conn);
    this.files.on('offer', (file) => this.offered(file));
    this.input = h('input', { attrs: { type: 'file', 'aria-label': 'File to send to the customer', disabled: true } });
    this.sendButton = h('button', { attrs: { type: 'submit', disabled: true } }, 'Send file');
    this.hint = h('p', { class: 'muted file-hint' });
    this.list = h('ul', { class: 'transfers', attrs: { 'aria-label': 'File transfers', 'aria-live': 'polite' } });
    const form = h('form', { class: 'file-send', on: { submit: (ev) => (ev.preventDefault(), this.send()) } }, this.input, this.sendButton);
    this.element = h('div', { class: 'file-panel' }, this.hint, form, this.list);
    this.setGranted(false);
  }

  /** `files` granted or not: sending needs it (the gateway refuses otherwise). */
  setGranted(granted: boolean): void {
    this.granted = granted;
    const problem = this.conn.policy ? fileTransferProblem(this.conn.policy, 'to-customer', 0) : null;
    this.input.disabled = this.sendButton.disabled = !granted || problem !== null;
    const max = this.conn.policy ? ` Up to ${describeSize(this.conn.policy.fileTransfer.maxBytes)} a file.` : '';
    this.hint.textContent = !granted ? 'Ask for "Send and receive files" to exchange files.' : problem ? `Sending to the customer is ${problem}.` : `Send the customer a file, or take theirs.${max}`;
  }

  dispose(): void {
    this.files.close();
    for (const url of this.urls) URL.revokeObjectURL(url);
  }

  private send(): void {
    const file = this.input.files?.[0];
    if (!file || !this.granted) return;
    const problem = this.conn.policy ? fileTransferProblem(this.conn.policy, 'to-customer', file.size) : null;
    if (problem) return void (this.hint.textContent = `"${file.name}" cannot be sent: ${problem}.`);
    const outgoing = this.files.offer(blobSource(file));
    this.input.value = '';
    this.track(outgoing, 'To the customer', 'waiting for the customer to accept…');
  }

  private offered(file: IncomingFile): void {
    this.track(file, 'From the customer', 'the customer offers it');
  }

  /** One row per transfer, kept up to date until it ends. */
  private track(file: IncomingFile | OutgoingFile, direction: string, initial: string): void {
    const progress = h('progress', { attrs: { max: Math.max(1, file.info.size), value: 0, 'aria-label': `Progress of ${file.info.name}` } });
    const status = h('span', { class: 'transfer-status' }, initial);
    const actions = h('span', { class: 'transfer-actions' });
    const row = h(
      'li',
      { class: 'transfer', data: { direction: file.direction } },
      h('span', { class: 'transfer-direction' }, `${direction}: `),
      h('span', { class: 'transfer-name' }, file.info.name),
      h('span', { class: 'transfer-size' }, ` (${describeSize(file.info.size)}) `),
      progress,
      status,
      actions,
    );
    const cancel = h('button', { class: 'small', attrs: { type: 'button' }, on: { click: () => file.cancel() } }, `Cancel ${file.info.name}`);
    if (file.direction === 'in') {
      const parts: Uint8Array[] = [];
      const accept = h('button', { class: 'small', attrs: { type: 'button' }, on: { click: () => take() } }, `Accept ${file.info.name}`);
      const refuse = h('button', { class: 'small', attrs: { type: 'button' }, on: { click: () => file.refuse() } }, `Refuse ${file.info.name}`);
      const take = () => {
        replace(actions, cancel);
        status.textContent = 'receiving…';
        file.accept({
          // Kept in memory until saved: the policy's maxBytes bounds it; a Blob of the parts is the download.
          write: (chunk) => void parts.push(chunk.slice()),
          finish: (ok) => {
            if (!ok) return void (parts.length = 0);
            const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: file.info.mime ?? 'application/octet-stream' }));
            parts.length = 0;
            this.urls.push(url);
            replace(actions, h('a', { class: 'download', attrs: { href: url, download: file.info.name } }, `Save ${file.info.name}`));
          },
        });
      };
      replace(actions, accept, refuse);
    } else {
      replace(actions, cancel);
      file.on('accepted', () => (status.textContent = 'sending…'));
    }
    file.on('progress', (bytes) => (progress.value = bytes));
    void file.done.then((o) => {
      if (o.ok) {
        progress.value = file.info.size;
        status.textContent = file.direction === 'in' ? 'received, checksum verified' : 'delivered, checksum verified by the customer';
        if (file.direction === 'out') replace(actions);
      } else {
        status.textContent = reasons[o.reason] ?? o.reason;
        if (o.error) status.textContent += ` (${o.error.message})`;
        replace(actions);
      }
    });
    this.list.prepend(row);
  }
}
