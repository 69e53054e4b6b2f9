/** Aligned columns for people; colour only when stdout is a terminal that wants it. */
const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
export const green = paint(32);
export const red = paint(31);
export const bold = paint(1);

const visible = (text: string) => text.replace(/\u001b\[\d+m/g, '').length;

export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = headers.map((h, i) => Math.max(visible(h), ...cells.map((row) => visible(row[i] ?? ''))));
  const line = (row: string[]) => row.map((cell, i) => cell + ' '.repeat(widths[i]! - visible(cell))).join('  ').trimEnd();
  return [line(headers.map(bold)), ...cells.map(line)].join('\n');
}
