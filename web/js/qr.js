// qr.js: a QR code of a text (a payment request's link) as an SVG element, drawn
// from npm's qrcode-generator modules with DOM calls (no markup strings). The text
// is also kept on the element (data-text) so a test can read what the code holds.
import qrcode from 'qrcode-generator';

const SVG = 'http://www.w3.org/2000/svg';

export function qrElement(text, label) {
  const code = qrcode(0, 'M'); // the smallest version that holds text, medium correction
  code.addData(text);
  code.make();
  const count = code.getModuleCount(), margin = 4, size = count + 2 * margin;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('class', 'qr');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.dataset.text = text;
  const background = document.createElementNS(SVG, 'rect');
  background.setAttribute('width', size);
  background.setAttribute('height', size);
  background.setAttribute('fill', '#fff');
  svg.append(background);
  let d = '';
  for (let row = 0; row < count; row++)
    for (let col = 0; col < count; col++)
      if (code.isDark(row, col)) d += `M${col + margin} ${row + margin}h1v1h-1z`;
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(path);
  return svg;
}
