// qr_pixels.js: a QR code drawn as qr.js draws it (npm's qrcode-generator, medium
// correction, 4 modules of margin) as pixels, for the tests that read codes back: RGBA
// for jsQR in node, and a Y4M video for Chromium's fake camera.
import { writeFileSync } from 'node:fs';
import qrcode from 'qrcode-generator';

function modules(text) {
  const code = qrcode(0, 'M');
  code.addData(text);
  code.make();
  return code;
}

/** Whether the pixel (x, y) of a code scaled `scale` times, placed at (left, top), is dark. */
function darkAt(code, scale, left, top, x, y) {
  const count = code.getModuleCount();
  const row = Math.floor((y - top) / scale) - 4, col = Math.floor((x - left) / scale) - 4;
  return y >= top && x >= left && row >= 0 && col >= 0 && row < count && col < count && code.isDark(row, col);
}

/** RGBA pixels of text's code, `scale` pixels a module: { pixels, size }. */
export function codePixels(text, scale) {
  const code = modules(text);
  const size = (code.getModuleCount() + 8) * scale;
  const pixels = new Uint8ClampedArray(size * size * 4).fill(255);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      if (darkAt(code, scale, 0, 0, x, y)) {
        const at = (y * size + x) * 4;
        pixels[at] = pixels[at + 1] = pixels[at + 2] = 0;
      }
  return { pixels, size };
}

/** Writes a Y4M video (640x480, I420, `frames` frames) of text's code on a grey wall. */
export function writeCodeVideo(path, text, frames = 10) {
  const width = 640, height = 480, scale = 8;
  const code = modules(text);
  const side = (code.getModuleCount() + 8) * scale;
  const left = Math.floor((width - side) / 2), top = Math.floor((height - side) / 2);
  const luma = Buffer.alloc(width * height, 128);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (x >= left && x < left + side && y >= top && y < top + side) luma[y * width + x] = darkAt(code, scale, left, top, x, y) ? 16 : 235;
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const parts = [Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < frames; i++) parts.push(Buffer.from('FRAME\n'), luma, chroma);
  writeFileSync(path, Buffer.concat(parts));
}
