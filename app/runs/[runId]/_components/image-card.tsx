"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { AskBox } from "./ask-box";

type RunImage = RouterOutputs["runs"]["images"]["items"][number];

const TASK_LABEL: Record<string, string> = {
  "<DETAILED_CAPTION>": "Caption",
  "<OCR>": "OCR",
  "<DENSE_REGION_CAPTION>": "Regions",
};

// Distinct, readable box colours; cycled by region index.
const BOX_COLOURS = ["#5eb1ff", "#f5b74e", "#3ecf8e", "#f06a6a", "#c58cff", "#ff8fd1"];

/** One image of a run: the picture with its region boxes, each prompt's answer and the language model's answers. */
export function ImageCard({ item }: { item: RunImage }) {
  const { runId } = useParams<{ runId: string }>();
  const regions = item.tasks.flatMap((task) => task.boxes);
  const width = item.width ?? 1;
  const height = item.height ?? 1;
  return (
    <li
      data-testid="run-image"
      data-status={item.status}
      data-image-id={item.imageId}
      className="overflow-hidden rounded-lg border border-line bg-panel"
    >
      {item.width !== null ? (
        <svg
          viewBox={`0 0 ${width} ${height}`}
          className="block aspect-square w-full bg-black"
          role="img"
          aria-label={item.fileName}
        >
          <image href={`/api/images/${item.sha256}/original`} width={width} height={height} />
          {regions.map((region, i) => {
            const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = region.box;
            const colour = BOX_COLOURS[i % BOX_COLOURS.length];
            return (
              <g key={`${region.label}@${region.box.join(",")}`}>
                <rect
                  x={x1}
                  y={y1}
                  width={x2 - x1}
                  height={y2 - y1}
                  fill="none"
                  stroke={colour}
                  strokeWidth={Math.max(1, width / 160)}
                />
                <text x={x1 + 2} y={Math.max(y1 - 2, 8)} fill={colour} fontSize={Math.max(8, width / 24)}>
                  {region.label}
                </text>
              </g>
            );
          })}
        </svg>
      ) : (
        <div className="flex aspect-square items-center justify-center bg-surface text-muted text-sm">
          not an image
        </div>
      )}
      <div className="space-y-2 p-3 text-sm">
        <div className="flex items-baseline justify-between gap-2">
          <Link
            href={`/runs/${runId}/images/${item.imageId}`}
            data-testid="image-view-link"
            className="truncate font-medium hover:text-accent"
            title={`${item.fileName}: maps, attention and answers`}
          >
            {item.fileName}
          </Link>
          <span className={item.status === "failed" ? "text-bad" : "text-muted"}>{item.status}</span>
        </div>
        {item.error ? <p className="text-bad">{item.error}</p> : null}
        {item.tasks.map((task) => (
          <p key={task.prompt}>
            <span className="text-muted">{TASK_LABEL[task.prompt] ?? task.prompt}: </span>
            {task.text || <em className="text-muted">(empty)</em>}
          </p>
        ))}
        {item.answers.map((answer) => (
          <p key={answer.question}>
            <span className="text-muted">Q: {answer.question} </span>
            {answer.text}
          </p>
        ))}
        {item.caption ? <p className="text-muted text-xs">Ground truth: {item.caption}</p> : null}
        {item.width !== null ? <AskBox runId={runId} imageSha256={item.sha256} /> : null}
      </div>
    </li>
  );
}
