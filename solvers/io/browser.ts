import { ArgumentError } from '../../engine/errors.js';
import { describe } from '../../engine/options.js';

function checkBytes(who: string, bytes: unknown): void {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`${who}: bytes must be a Uint8Array (e.g. from saveSafetensors), got ${describe(bytes)}`);
}

/** The bytes of a file as a Blob (e.g. for URL.createObjectURL or an upload). */
export function toBlob(bytes: Uint8Array, type = 'application/octet-stream'): Blob {
  checkBytes('toBlob', bytes);
  if (typeof type !== 'string') throw new ArgumentError(`toBlob: type must be a MIME type string, got ${describe(type)}`);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type });
}

/** In a browser, offers the bytes as a download named `filename` (e.g. the result of saveSafetensors). */
export function downloadBytes(bytes: Uint8Array, filename: string): void {
  checkBytes('downloadBytes', bytes);
  if (typeof filename !== 'string' || filename === '') throw new ArgumentError(`downloadBytes: filename must be a non-empty string, got ${describe(filename)}`);
  if (typeof document === 'undefined' || typeof URL?.createObjectURL !== 'function') {
    throw new ArgumentError('downloadBytes: needs a browser page (document); in Node pass a path to saveSafetensors instead');
  }
  const url = URL.createObjectURL(toBlob(bytes));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // the download has started from the URL; revoking at once can cancel it in some browsers
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
