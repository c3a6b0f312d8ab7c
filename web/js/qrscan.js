// qrscan.js: reading a QR code in the page, from the camera (getUserMedia; frames
// drawn on a canvas and read by npm's jsQR) or from a photo of the code (a file
// input, which on a phone offers its camera app). jsQR is a classic script (UMD), so
// it is loaded from /vendor/ by a script element the first time a code is read, and
// not with every page. And what a code says, for the wallet: a payment request's
// link (#/pay/ID) or a member's address.

import { ADDRESS_SHAPE } from './address.js';

const ADDRESS = new RegExp(`^${ADDRESS_SHAPE}$`);
const PAY_LINK = /^#\/pay\/([1-9][0-9]{0,9})$/;
const ADMIT_LINK = new RegExp(`^#/console/admit/([1-9][0-9]{0,9})/(${ADDRESS_SHAPE})$`);

let loading = null;

/** jsQR, loaded once. */
export function loadJsQR() {
  loading ??= new Promise((resolve, reject) => {
    if (globalThis.jsQR) return resolve(globalThis.jsQR);
    const script = document.createElement('script');
    script.src = '/vendor/jsQR.js';
    script.onload = () => (globalThis.jsQR ? resolve(globalThis.jsQR) : reject(new Error('the QR reader did not start')));
    script.onerror = () => {
      loading = null;
      reject(new Error('the QR reader (/vendor/jsQR.js) could not be loaded: the node has no jsQR (scripts/install-deps.sh installs it)'));
    };
    document.head.append(script);
  });
  return loading;
}

const SIDE_MAX = 1024; // larger images are scaled down first: a code needs far fewer pixels

/** The text of the code in an image source (an ImageBitmap or a playing video), or null. */
function readSource(jsQR, source, width, height) {
  const scale = Math.min(1, SIDE_MAX / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale)), h = Math.max(1, Math.round(height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(source, 0, 0, w, h);
  const pixels = context.getImageData(0, 0, w, h);
  return jsQR(pixels.data, w, h, { inversionAttempts: 'attemptBoth' })?.data ?? null;
}

/** The text of the code in a photo (a File), or null when none is found. */
export async function scanFile(file) {
  const jsQR = await loadJsQR();
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`${file.name || 'the file'} is not an image this browser can read`);
  }
  try {
    return readSource(jsQR, bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/**
 * Reads codes from the camera into `video` until one is found (resolves its text) or
 * `signal` aborts (resolves null). The camera is released either way.
 */
export async function scanCamera(video, signal) {
  const jsQR = await loadJsQR();
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser gives the page no camera (a page needs https, or localhost)');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (e) {
    throw new Error(`the camera is not available (${e.name === 'NotAllowedError' ? 'permission refused' : e.message})`);
  }
  try {
    video.srcObject = stream;
    video.muted = true;
    video.setAttribute('playsinline', '');
    await video.play();
    while (!signal?.aborted) {
      if (video.videoWidth > 0) {
        const text = readSource(jsQR, video, video.videoWidth, video.videoHeight);
        if (text) return text;
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return null;
  } finally {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  }
}

/** The link that asks a network's operators to admit address (their console, filled in). */
export function admissionLink(networkId, address) {
  return `${location.origin}/#/console/admit/${networkId}/${address}`;
}

/**
 * What a code's text is to the wallet: { request: ID } for a payment request's link
 * (of any node: a request's id is the chain's), { admit: { network, address } } for an
 * ask to be admitted, { address } for a member's address, or null.
 */
export function codeMeaning(text) {
  const trimmed = String(text ?? '').trim();
  if (ADDRESS.test(trimmed)) return { address: trimmed };
  let url;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const pay = PAY_LINK.exec(url.hash);
  if (pay) return { request: Number(pay[1]) };
  const admit = ADMIT_LINK.exec(url.hash);
  return admit ? { admit: { network: Number(admit[1]), address: admit[2] } } : null;
}
