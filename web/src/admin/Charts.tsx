// The analytics dashboard's charts, drawn as plain SVG. Each is an image with a summary
// for screen readers (role="img" + aria-label) and its numbers in a table below it.
import { niceMax, scale, slots, tickCount, ticks } from "./charts";

export type Series = { name: string; color: string; values: number[] };

const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 48;
const BOTTOM = 28;
const TOP = 10;

function Axis({ top, format }: { top: number; format: (n: number) => string }) {
  const plot = HEIGHT - BOTTOM - TOP;
  return (
    <g aria-hidden="true">
      {ticks(top, tickCount(top)).map((t) => {
        const y = HEIGHT - BOTTOM - scale(t, top, plot);
        return (
          <g key={t}>
            <line x1={LEFT} x2={WIDTH} y1={y} y2={y} stroke="var(--line)" />
            <text x={LEFT - 6} y={y + 4} textAnchor="end" fontSize="11" fill="var(--ink-soft)">
              {format(t)}
            </text>
          </g>
        );
      })}
    </g>
  );
}

/** Bars per category (grouped when there are several series), with a legend. */
export function BarChart({
  title,
  summary,
  labels,
  series,
  format = (n) => String(Math.round(n)),
  labelEvery = 1,
}: {
  title: string;
  summary: string;
  labels: string[];
  series: Series[];
  format?: (n: number) => string;
  labelEvery?: number;
}) {
  const top = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const plot = HEIGHT - BOTTOM - TOP;
  const groups = slots(labels.length, WIDTH - LEFT, 0.25);
  return (
    <figure className="chart">
      <figcaption>
        <strong>{title}</strong>
        {series.length > 1 && (
          <span className="legend">
            {series.map((s) => (
              <span key={s.name}>
                <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {s.name}
              </span>
            ))}
          </span>
        )}
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}: ${summary}`} className="chart-svg">
        <Axis top={top} format={format} />
        {groups.map((group, i) => {
          const bars = slots(series.length, group.width, 0.1);
          return (
            <g key={labels[i]}>
              {series.map((s, j) => {
                const value = s.values[i] ?? 0;
                const h = scale(Math.max(0, value), top, plot);
                const bar = bars[j]!;
                return (
                  <rect
                    key={s.name}
                    x={LEFT + group.x + bar.x}
                    y={HEIGHT - BOTTOM - h}
                    width={Math.max(1, bar.width)}
                    height={h}
                    fill={s.color}
                  >
                    <title>{`${labels[i]} — ${s.name}: ${format(value)}`}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 && (
                <text
                  x={LEFT + group.x + group.width / 2}
                  y={HEIGHT - 8}
                  textAnchor="middle"
                  fontSize="10"
                  fill="var(--ink-soft)"
                  aria-hidden="true"
                >
                  {labels[i]}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** The numbers of a chart, as a table (the chart's text alternative in full). */
export function ChartTable({
  caption,
  labels,
  series,
  format = (n) => String(n),
  head = "Day",
}: {
  caption: string;
  labels: string[];
  series: { name: string; values: number[] }[];
  format?: (n: number) => string;
  head?: string;
}) {
  return (
    <details className="chart-data">
      <summary>{caption}: the numbers</summary>
      <table>
        <caption className="table-caption">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{head}</th>
            {series.map((s) => (
              <th scope="col" key={s.name}>
                {s.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((label, i) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {series.map((s) => (
                <td key={s.name}>{format(s.values[i] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
