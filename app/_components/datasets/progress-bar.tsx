/** A labelled bar; `max` 0 draws an empty bar (the total is not known yet). */
export function ProgressBar(props: {
  testId: string;
  label: string;
  value: number;
  max: number;
  text: string;
}) {
  const fraction = props.max > 0 ? Math.min(1, props.value / props.max) : 0;
  return (
    <div data-testid={props.testId} data-value={props.value} data-max={props.max}>
      <div className="flex justify-between text-muted text-xs">
        <span>{props.label}</span>
        <span>{props.text}</span>
      </div>
      <div
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={props.max}
        aria-valuenow={props.value}
        className="mt-1 h-2 overflow-hidden rounded bg-surface"
      >
        <div className="h-full bg-accent transition-[width]" style={{ width: `${fraction * 100}%` }} />
      </div>
    </div>
  );
}
