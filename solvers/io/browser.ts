import { ArgumentError } from '../../engine/errors.js';

/** The bytes of a file as a Blob (e.g. for URL.createObjectURL or an upload). */
export function toBlob(bytes: Uint8Array, type = 'application/octet-stream'): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type });
}

/** In a browser, offers the bytes as a download named `filename` (e.g. the result of saveSafetensors). */
export function downloadBytes(bytes: Uint8Array, filename: string): void {
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
