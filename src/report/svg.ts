/**
 * Loss curves as standalone SVG: training loss solid, validation loss
 * dashed, one colour per series. Output depends only on the numbers, so a
 * plot regenerated from the same runs is byte-identical.
 *
 * @module
 */

export interface LossSeries {
  label: string;
  train: readonly number[];
  val: readonly number[];
}

const COLORS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
];

/** Plot area size, margins, and the legend's rough character width. */
const PLOT_W = 400;
const PLOT_H = 316;
const M = { left: 60, top: 36, bottom: 48 };
const LEGEND_CHAR_PX = 7;

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times 10^k. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

function fmt(n: number): string {
  return n.toFixed(1);
}

/**
 * Renders the loss curves of one or more runs over epochs.
 * Non-finite values are left out of the curves.
 */
export function lossPlotSvg(
  series: readonly LossSeries[],
  title: string,
): string {
  const values = series.flatMap((s) => [...s.train, ...s.val]).filter(
    Number.isFinite,
  );
  const epochs = Math.max(
    1,
    ...series.map((s) => Math.max(s.train.length, s.val.length)),
  );
  const yTicks = niceTicks(
    values.length ? Math.min(...values) : 0,
    values.length ? Math.max(...values) : 1,
  );
  const yLo = Math.min(yTicks[0]!, ...values);
  const yHi = Math.max(yTicks[yTicks.length - 1]!, ...values);
  // The legend sits right of the plot: wide enough for the longest label
  // (" train" / " val" appended), tall enough for every series.
  const longest = Math.max(0, ...series.map((s) => s.label.length + 6));
  const legendW = Math.max(180, 12 + 28 + longest * LEGEND_CHAR_PX + 8);
  const plotW = PLOT_W;
  const plotH = Math.max(PLOT_H, 14 + series.length * 34);
  const W = M.left + plotW + legendW;
  const H = M.top + plotH + M.bottom;
  const x = (epoch: number) =>
    M.left + (epochs === 1 ? plotW / 2 : ((epoch - 1) / (epochs - 1)) * plotW);
  const y = (v: number) =>
    M.top + plotH - ((v - yLo) / (yHi - yLo || 1)) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" ` +
    `viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14">${esc(title)}</text>`,
  ];
  for (const t of yTicks) {
    out.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${fmt(y(t))}" ` +
        `y2="${fmt(y(t))}" stroke="#e5e5e5"/>`,
      `<text x="${M.left - 6}" y="${
        fmt(y(t) + 4)
      }" text-anchor="end">${t}</text>`,
    );
  }
  const xStep = Math.max(1, Math.ceil(epochs / 10));
  for (let e = 1; e <= epochs; e += xStep) {
    out.push(
      `<text x="${fmt(x(e))}" y="${M.top + plotH + 18}" ` +
        `text-anchor="middle">${e}</text>`,
    );
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" ` +
      `fill="none" stroke="#333"/>`,
    `<text x="${M.left + plotW / 2}" y="${
      H - 10
    }" text-anchor="middle">epoch</text>`,
    `<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" ` +
      `text-anchor="middle">loss</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    for (
      const [values, dash] of [[s.train, ""], [
        s.val,
        ' stroke-dasharray="6 4"',
      ]] as const
    ) {
      const pts = values.map((v, e) => [e + 1, v] as const).filter(([, v]) =>
        Number.isFinite(v)
      ).map(([e, v]) => `${fmt(x(e))},${fmt(y(v))}`);
      if (pts.length) {
        out.push(
          `<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" ` +
            `stroke-width="2"${dash}/>`,
        );
      }
    }
    const ly = M.top + 14 + i * 34;
    const lx = M.left + plotW + 12;
    out.push(
      `<line x1="${lx}" x2="${
        lx + 22
      }" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly + 14}" y2="${
        ly + 14
      }" stroke="${color}" stroke-width="2" stroke-dasharray="6 4"/>`,
      `<text x="${lx + 28}" y="${ly + 4}">${esc(s.label)} train</text>`,
      `<text x="${lx + 28}" y="${ly + 18}">${esc(s.label)} val</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
